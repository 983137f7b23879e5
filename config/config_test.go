package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// exampleEnv is the environment the example file expects.
var exampleEnv = map[string]string{
	"SYNCD_ACCESS_KEY": "58c0d5b1e2f34a6b8c9d0e1f2a3bcf03",
	"SYNCD_SECRET_KEY": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
	"SYNCD_USER_ID":    "2100007341207",
}

func TestLoad_Example(t *testing.T) {
	for k, v := range exampleEnv {
		t.Setenv(k, v)
	}
	t.Setenv("MEILI_MASTER_KEY", "")
	t.Setenv("SYNCD_HTTP_TOKEN", "")
	cfg, err := Load("syncd.example.yaml")
	if err != nil {
		t.Fatalf("Load example: %v", err)
	}
	if cfg.Upstream.SecretKey != exampleEnv["SYNCD_SECRET_KEY"] || cfg.Upstream.UserID != "2100007341207" {
		t.Errorf("credentials not expanded: %+v", cfg.Masked().Upstream)
	}
	if cfg.Index.Meilisearch.APIKey != "" || cfg.HTTP.Token != "" {
		t.Errorf("${VAR:-} with VAR unset gave %q, %q; want empty", cfg.Index.Meilisearch.APIKey, cfg.HTTP.Token)
	}
	// The example must show each common kind, and keywords in Chinese.
	kinds := map[upstream.Kind]bool{}
	for _, j := range cfg.Jobs {
		kinds[j.Kind] = true
	}
	for _, k := range []upstream.Kind{upstream.KindKeyword, upstream.KindCategory, upstream.KindShop, upstream.KindHotlist} {
		if !kinds[k] {
			t.Errorf("example has no %s job", k)
		}
	}
	if got := cfg.Jobs[0].Keywords; len(got) == 0 || got[0] != "T恤" {
		t.Errorf("first job keywords = %q, want Chinese keywords starting with T恤", got)
	}
}

// TestExample_CoversEveryKey walks the schema and requires the example file to write every
// key at least once, so that a key added to the structs gets documented there.
func TestExample_CoversEveryKey(t *testing.T) {
	data, err := os.ReadFile("syncd.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := yamlName(f)
			if name == "" {
				continue
			}
			if !strings.Contains(string(data), name+":") {
				missing = append(missing, name)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	if len(missing) > 0 {
		t.Errorf("syncd.example.yaml does not show keys %v", missing)
	}
}

func TestLoad_MissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "syncd.yaml")
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if !IsConfigError(err) {
		t.Errorf("IsConfigError = false for %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for %v", err)
	}
	for _, want := range []string{path, "does not exist", "syncd config example", "syncd config check"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoad_ErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte(validUpstream+"  qps: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if !IsConfigError(err) {
		t.Fatalf("IsConfigError = false for %v", err)
	}
	if want := "load config " + path + ": line 6: upstream.qps: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
}

func TestParse_Defaults(t *testing.T) {
	cfg := mustParse(t, jobsDoc("  - name: j\n    kind: recommend\n"), nil)
	want := &Config{
		Upstream: Upstream{
			BaseURL:     "https://api.example.com",
			AccessKey:   "ak-0123456789abcdef0123",
			SecretKey:   "sk-fedcba9876543210",
			UserID:      "2100007341207",
			Language:    "en",
			QPS:         5,
			Burst:       1,
			Concurrency: 0,
			Timeout:     Duration(15 * time.Second),
			MaxAttempts: 5,
			RetryCodes:  []int{429},
			Paths:       map[upstream.Kind]string{},
		},
		StateDir: "./data",
		Index: Index{
			Backend:     "bleve",
			Meilisearch: Meilisearch{URL: "http://127.0.0.1:7700", Index: "offers"},
		},
		HTTP: HTTP{Listen: "127.0.0.1:8790"},
		Jobs: []Job{{Name: "j", Kind: upstream.KindRecommend, PageSize: 20, MaxPages: 100}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestParse_ExplicitValuesOverrideDefaults(t *testing.T) {
	doc := validUpstream + `  language: ja
  qps: 0.5
  burst: 3
  concurrency: 64
  timeout: 1m30s
  max_attempts: 20
  retry_codes: []
  paths:
    hotlist: /v3/hot
state_dir: /var/lib/syncd
index:
  backend: meilisearch
  meilisearch:
    url: https://meili.internal:7700
    api_key: mk
    index: offers_v2
http:
  listen: ":0"
  token: tok
jobs:
  - name: j
    kind: recommend
    page_size: 50
    max_pages: 0
`
	cfg := mustParse(t, doc, nil)
	u := cfg.Upstream
	if u.Language != "ja" || u.QPS != 0.5 || u.Burst != 3 || u.Concurrency != 64 ||
		u.Timeout.Std() != 90*time.Second || u.MaxAttempts != 20 || u.RetryCodes == nil || len(u.RetryCodes) != 0 ||
		u.Paths[upstream.KindHotlist] != "/v3/hot" {
		t.Errorf("upstream = %+v", u)
	}
	if cfg.StateDir != "/var/lib/syncd" || cfg.Index.Backend != BackendMeilisearch ||
		cfg.Index.Meilisearch != (Meilisearch{URL: "https://meili.internal:7700", APIKey: "mk", Index: "offers_v2"}) ||
		cfg.HTTP != (HTTP{Listen: ":0", Token: "tok"}) {
		t.Errorf("config = %+v", cfg)
	}
	if j := cfg.Jobs[0]; j.PageSize != 50 || j.MaxPages != 0 {
		t.Errorf("job = %+v, want page_size 50 and max_pages 0 (no limit)", j)
	}
}

func TestParse_NullAndEmptyExpansionKeepDefaults(t *testing.T) {
	doc := validUpstream + `  language: ${SYNCD_LANG}
  qps: ~
  timeout: "${SYNCD_TIMEOUT}"
state_dir:
jobs: null
`
	cfg := mustParse(t, doc, nil)
	if cfg.Upstream.Language != "en" || cfg.Upstream.QPS != 5 || cfg.Upstream.Timeout != DefaultTimeout ||
		cfg.StateDir != "./data" || cfg.Jobs != nil {
		t.Errorf("got %+v, want the defaults", cfg)
	}
}

func TestParse_EnvExpansion(t *testing.T) {
	vars := map[string]string{
		"HOST":  "api.example.com",
		"QPS":   "7.5",
		"PAGES": "3",
		"WAIT":  "2s",
		"KW":    "T恤",
	}
	tests := []struct {
		name, value string // value is written as state_dir unless field says otherwise
		want        string
	}{
		{"plain", "${HOST}", "api.example.com"},
		{"embedded", "/srv/${HOST}/data", "/srv/api.example.com/data"},
		{"default used", "${NOPE:-/tmp/x}", "/tmp/x"},
		{"default ignored", "${HOST:-/tmp/x}", "api.example.com"},
		{"default with colon", "${NOPE:-http://a:1}", "http://a:1"},
		{"empty default", "x${NOPE:-}y", "xy"},
		{"escaped dollar", "$${HOST}", "${HOST}"},
		{"double escape", "a$$$$b", "a$$b"},
		{"lone dollar", "a$b$", "a$b$"},
		{"dollar before text", "$HOST", "$HOST"},
		{"two variables", "${HOST}-${KW}", "api.example.com-T恤"},
		{"quoted", `"${HOST}"`, "api.example.com"},
		{"single quoted", `'${HOST}'`, "api.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, validUpstream+"state_dir: "+tt.value+"\n", env(vars))
			if cfg.StateDir != tt.want {
				t.Errorf("state_dir %s = %q, want %q", tt.value, cfg.StateDir, tt.want)
			}
		})
	}
	t.Run("typed fields", func(t *testing.T) {
		doc := validUpstream + "  qps: ${QPS}\n  burst: \"${PAGES}\"\n  timeout: ${WAIT}\njobs:\n  - name: j\n    kind: keyword\n    keywords: [\"${KW}\", \"${KW}-2\"]\n    max_pages: ${PAGES}\n"
		cfg := mustParse(t, doc, env(vars))
		if cfg.Upstream.QPS != 7.5 || cfg.Upstream.Burst != 3 || cfg.Upstream.Timeout.Std() != 2*time.Second {
			t.Errorf("upstream = %+v", cfg.Upstream)
		}
		if j := cfg.Jobs[0]; !reflect.DeepEqual(j.Keywords, []string{"T恤", "T恤-2"}) || j.MaxPages != 3 {
			t.Errorf("job = %+v", j)
		}
	})
	t.Run("keys are not expanded", func(t *testing.T) {
		es := parseErrors(t, validUpstream+"${HOST}: x\n", env(vars))
		if findError(es, "${HOST}") == nil {
			t.Errorf("want an unknown-field error at ${HOST}:%s", listErrors(es))
		}
	})
	t.Run("secret with dollar", func(t *testing.T) {
		doc := strings.Replace(validUpstream, "sk-fedcba9876543210", "'p$ss$$w0rd'", 1)
		if got := mustParse(t, doc, nil).Upstream.SecretKey; got != "p$ss$w0rd" {
			t.Errorf("secret_key = %q, want p$ss$w0rd", got)
		}
	})
	t.Run("values from getenv only", func(t *testing.T) {
		t.Setenv("SYNCD_TEST_ONLY_IN_OS", "from-os")
		cfg := mustParse(t, validUpstream+"state_dir: ${SYNCD_TEST_ONLY_IN_OS:-fallback}\n", noEnv)
		if cfg.StateDir != "fallback" {
			t.Errorf("state_dir = %q: Parse read the process environment instead of getenv", cfg.StateDir)
		}
		cfg, err := Parse([]byte(validUpstream+"state_dir: ${SYNCD_TEST_ONLY_IN_OS}\n"), nil)
		if err != nil || cfg.StateDir != "from-os" {
			t.Errorf("nil getenv: state_dir = %v, %v; want from-os", cfg, err)
		}
	})
}

// TestParse_EnvInjection checks that a variable's value is data: YAML syntax in it adds no
// keys, no list items and no documents.
func TestParse_EnvInjection(t *testing.T) {
	evil := map[string]string{
		"KW":    "x\nfoo: bar",
		"LANG_": "en\nstate_dir: /etc\n",
		"LIST":  "a, b]\n  - c",
		"DOC":   "v\n---\nupstream: {}",
	}
	doc := validUpstream + `  language: ${LANG_}
state_dir: "${DOC}"
jobs:
  - name: j
    kind: keyword
    keywords:
      - ${KW}
      - "${LIST}"
`
	cfg := mustParse(t, doc, env(evil))
	if got := cfg.Jobs[0].Keywords; !reflect.DeepEqual(got, []string{"x\nfoo: bar", "a, b]\n  - c"}) {
		t.Errorf("keywords = %q, want the two values verbatim", got)
	}
	if cfg.Upstream.Language != "en\nstate_dir: /etc\n" {
		t.Errorf("language = %q", cfg.Upstream.Language)
	}
	if cfg.StateDir != evil["DOC"] {
		t.Errorf("state_dir = %q, want %q", cfg.StateDir, evil["DOC"])
	}
	// The same value in a field that rejects it is rejected as a value, not as structure.
	es := parseErrors(t, strings.Replace(validUpstream, "sk-fedcba9876543210", "${KW}", 1), env(evil))
	if len(es) != 1 || es[0].Path != "upstream.secret_key" || strings.Contains(es[0].Error(), "bar") {
		t.Errorf("want one whitespace error at upstream.secret_key without the value:%s", listErrors(es))
	}
}

func TestParse_AnchorsAndMerges(t *testing.T) {
	doc := validUpstream + `jobs:
  - &base
    name: a
    kind: keyword
    keywords: &kw [T恤]
    page_size: 30
  - <<: *base
    name: b
    keywords: [polo]
  - <<: [*base]
    name: c
    keywords: *kw
    page_size: 10
`
	cfg := mustParse(t, doc, nil)
	want := []Job{
		{Name: "a", Kind: "keyword", Keywords: []string{"T恤"}, PageSize: 30, MaxPages: 100},
		{Name: "b", Kind: "keyword", Keywords: []string{"polo"}, PageSize: 30, MaxPages: 100},
		{Name: "c", Kind: "keyword", Keywords: []string{"T恤"}, PageSize: 10, MaxPages: 100},
	}
	if !reflect.DeepEqual(cfg.Jobs, want) {
		t.Errorf("jobs =\n  %+v\nwant\n  %+v", cfg.Jobs, want)
	}
}

func TestParse_HostileMerges(t *testing.T) {
	tests := map[string]string{
		"self merge": validUpstream + "http: &h\n  <<: *h\n  listen: :1\n",
		"laughs": validUpstream + `x0: &a {listen: ":1"}
x1: &b {<<: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]}
x2: &c {<<: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]}
x3: &d {<<: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]}
x4: &e {<<: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]}
x5: &f {<<: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]}
http:
  <<: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, err := Parse([]byte(doc), noEnv)
				if err != nil && !IsConfigError(err) {
					t.Errorf("error is not a config error: %v", err)
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Parse did not return within 10s")
			}
		})
	}
}

func TestYAML_RoundTrip(t *testing.T) {
	cfg := mustParse(t, mustRead(t, "syncd.example.yaml"), env(exampleEnv))
	cfg.Upstream.SecretKey = "a$b${NOT_EXPANDED}c$$"
	cfg.Jobs[0].Keywords = append(cfg.Jobs[0].Keywords, "line\nbreak", "null", "007", "#hash", "${X}")
	cfg.Jobs[0].Filter = "a: b"
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back := mustParse(t, string(out), noEnv)
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("Parse(YAML()) differs:\n got %+v\nwant %+v\n--- YAML:\n%s", back, cfg, out)
	}
	if !strings.Contains(string(out), "retry_codes: [429]") {
		t.Errorf("scalar lists not on one line:\n%s", out)
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.UnmarshalYAML(scalarNode("1m30s")); err != nil || d.Std() != 90*time.Second || d.String() != "1m30s" {
		t.Errorf("UnmarshalYAML(1m30s) = %v, %v", d, err)
	}
	if err := d.UnmarshalYAML(scalarNode("90")); err == nil {
		t.Error("UnmarshalYAML(90) succeeded, want an error for a missing unit")
	}
	if v, err := d.MarshalYAML(); err != nil || v != "1m30s" {
		t.Errorf("MarshalYAML = %v, %v", v, err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParse_ScalarsIntoStrings checks that numbers written without quotes keep their
// exact text in string fields: ids longer than an int64, prices with trailing zeros.
func TestParse_ScalarsIntoStrings(t *testing.T) {
	doc := strings.Replace(validUpstream, `"2100007341207"`, "21000073412071234567", 1) + `jobs:
  - name: j
    kind: category
    category_ids: [1031919, 007]
    price_start: 5
    price_end: 12.50
`
	cfg := mustParse(t, doc, nil)
	if cfg.Upstream.UserID != "21000073412071234567" {
		t.Errorf("user_id = %q", cfg.Upstream.UserID)
	}
	j := cfg.Jobs[0]
	if !reflect.DeepEqual(j.CategoryIDs, []string{"1031919", "007"}) || j.PriceStart != "5" || j.PriceEnd != "12.50" {
		t.Errorf("job = %+v", j)
	}
}

// designSample is the config of DESIGN §5 (contract), verbatim.
const designSample = `upstream:
  base_url: https://api.pandapon.com      # required
  access_key: ${SYNCD_ACCESS_KEY}          # required
  secret_key: ${SYNCD_SECRET_KEY}          # required, never logged
  user_id: "2100007341207"                 # required
  language: en                             # country/language sent upstream
  qps: 5                                   # shared rate limit (requests/second)
  burst: 1
  concurrency: 4                           # max requests in flight
  timeout: 15s
  max_attempts: 5
  retry_codes: [429]
  paths: {}                                # optional per-kind path overrides
state_dir: ./data                          # bbolt store, embedded index, lock
index:
  backend: bleve                           # bleve (default, embedded) | meilisearch
  meilisearch:
    url: http://127.0.0.1:7700
    api_key: ${MEILI_MASTER_KEY}
    index: offers
http:
  listen: 127.0.0.1:8790                   # loopback by default
  token: ""                                # when set, required as a Bearer token
jobs:
  - name: tees                             # [a-z0-9-]+, unique
    kind: keyword                          # see §4
    schedule: "@every 6h"                  # robfig/cron spec; optional (manual only)
    keywords: ["T恤", "polo衫"]             # per kind: keywords | category_ids | seller_open_ids | image_urls | offer_ids | rank_types
    page_size: 20
    max_pages: 100
    price_start: "5"
    price_end: "50"
    sort: '{"monthSold":"desc"}'
`

func TestParse_DesignSample(t *testing.T) {
	cfg := mustParse(t, designSample, env(exampleEnv))
	// Every value the sample writes is also the default, except credentials and the job.
	want := Default()
	want.Upstream.BaseURL = "https://api.pandapon.com"
	want.Upstream.AccessKey = exampleEnv["SYNCD_ACCESS_KEY"]
	want.Upstream.SecretKey = exampleEnv["SYNCD_SECRET_KEY"]
	want.Upstream.UserID = "2100007341207"
	want.Upstream.Concurrency = 4 // the sample predates the automatic default
	want.Jobs = []Job{{Name: "tees", Kind: upstream.KindKeyword, Schedule: "@every 6h", Keywords: []string{"T恤", "polo衫"},
		PageSize: 20, MaxPages: 100, PriceStart: "5", PriceEnd: "50", Sort: `{"monthSold":"desc"}`}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("DESIGN §5 sample:\n got %+v\nwant %+v", cfg, want)
	}
	es := parseErrors(t, designSample, noEnv)
	if len(es) != 2 || es[0].Error() != "line 3: upstream.access_key: ${SYNCD_ACCESS_KEY} is not set" ||
		es[1].Error() != "line 4: upstream.secret_key: ${SYNCD_SECRET_KEY} is not set" {
		t.Errorf("without the environment:%s", listErrors(es))
	}
}

// "retry_codes: []" means retry no code. The config hands the list to upstream.Options as
// is, where nil means the default [429], so the explicit empty list must stay non-nil
// through Parse, Clone, Masked and a YAML round trip.
func TestParse_EmptyRetryCodesStayEmptyNotDefault(t *testing.T) {
	cfg := mustParse(t, validUpstream+"  retry_codes: []\n", nil)
	out, err := cfg.Masked().YAML()
	if err != nil {
		t.Fatal(err)
	}
	back := mustParse(t, strings.Replace(string(out), Mask, "sk-x", 1), nil)
	for name, c := range map[string]*Config{"parsed": cfg, "cloned": cfg.Clone(), "masked": cfg.Masked(), "round trip": back} {
		if c.Upstream.RetryCodes == nil || len(c.Upstream.RetryCodes) != 0 {
			t.Errorf("%s: retry_codes = %#v, want an empty non-nil list", name, c.Upstream.RetryCodes)
		}
	}
	if got := mustParse(t, validUpstream, nil).Upstream.RetryCodes; len(got) != 1 || got[0] != 429 {
		t.Errorf("absent retry_codes = %v, want [429]", got)
	}
}
