package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary documents. Whatever the input, Parse must not panic or
// hang; an error must be a configuration error with at least one problem; a success must
// render with YAML to a document that parses back to the same Config, and its Masked copy
// must hold no secret.
//
// Run it beyond the seed corpus with: go test ./config -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("syncd.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		string(example),
		validUpstream,
		jobsDoc("  - name: j\n    kind: recommend\n"),
		jobsDoc("  - name: tees\n    kind: keyword\n    keywords: [T恤, \"${KW}\"]\n    schedule: \"@every 6h\"\n    price_start: \"5\"\n    price_end: \"50\"\n    sort: '{\"monthSold\":\"desc\"}'\n"),
		jobsDoc("  - &a\n    name: a\n    kind: hotlist\n    rank_types: [hot]\n  - <<: *a\n    name: b\n"),
		validUpstream + "  qps: ${QPS:-2.5}\n  timeout: ${T}\n  paths:\n    keyword: /x\n",
		validUpstream + "index:\n  backend: meilisearch\n  meilisearch:\n    url: ${MEILI}\n",
		"",
		"~\n",
		"- a\n",
		"upstream: [\n",
		"upstream:\n  base_url: a: b\n",
		"upstream:\n\tbase_url: x\n",
		validUpstream + "---\nx: 1\n",
		validUpstream + "jobs:\n  - name: A\n    kind: nope\n    schedule: TZ=UTC\n",
		validUpstream + "http: &h\n  <<: *h\n",
		validUpstream + "state_dir: ${\n",
		validUpstream + "? [a]\n: b\n",
		validUpstream + "*x: 1\n",
		validUpstream + "jobs: [*undefined]\n",
		validUpstream + "  secret_key: $$\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	getenv := env(map[string]string{"KW": "x\nfoo: bar", "QPS": "3", "T": "2s", "MEILI": "http://m:7700"})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, getenv)
		if err != nil {
			if cfg != nil {
				t.Fatal("Parse returned both a Config and an error")
			}
			if !IsConfigError(err) {
				t.Fatalf("error is not a config error: %v", err)
			}
			es, ok := err.(Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("error is %T with %d problems, want a non-empty Errors", err, len(es))
			}
			return
		}
		out, err := cfg.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		back, err := Parse(out, noEnv)
		if err != nil {
			t.Fatalf("YAML output does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("Parse(YAML()) differs:\n got %+v\nwant %+v\n%s", back, cfg, out)
		}
		m := cfg.Masked()
		for _, s := range []string{m.Upstream.SecretKey, m.Index.Meilisearch.APIKey, m.HTTP.Token} {
			if s != "" && s != Mask {
				t.Fatalf("Masked kept a secret: %q", s)
			}
		}
		if a := m.Upstream.AccessKey; a != "" && a != Mask && !strings.Contains(a, "…") {
			t.Fatalf("Masked kept the access key: %q", a)
		}
	})
}
