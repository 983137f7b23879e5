package config

import (
	"strings"
	"testing"
)

// TestParse_Errors has one case per validation rule. Each document differs from a valid
// one by a single mistake, so each must yield exactly one error (unless wantN says
// otherwise), at the given path, with the given text in its message.
func TestParse_Errors(t *testing.T) {
	keywordJob := func(extra string) string {
		return jobsDoc("  - name: tees\n    kind: keyword\n    keywords: [T恤]\n" + extra)
	}
	kindJob := func(kind, lists string) string {
		return jobsDoc("  - name: j\n    kind: " + kind + "\n" + lists)
	}
	tests := []struct {
		name, doc     string
		env           map[string]string
		path, message string
		wantN         int // expected number of errors; 0 means 1
	}{
		// upstream: required fields and variables.
		{name: "base_url missing", doc: strings.Replace(validUpstream, "  base_url: https://api.example.com\n", "", 1),
			path: "upstream.base_url", message: "required"},
		{name: "access_key missing", doc: strings.Replace(validUpstream, "  access_key: ak-0123456789abcdef0123\n", "", 1),
			path: "upstream.access_key", message: "required"},
		{name: "secret_key missing", doc: strings.Replace(validUpstream, "  secret_key: sk-fedcba9876543210\n", "", 1),
			path: "upstream.secret_key", message: "required"},
		{name: "user_id missing", doc: strings.Replace(validUpstream, "  user_id: \"2100007341207\"\n", "", 1),
			path: "upstream.user_id", message: "required"},
		{name: "secret_key unset variable", doc: strings.Replace(validUpstream, "sk-fedcba9876543210", "${SYNCD_SECRET_KEY}", 1),
			path: "upstream.secret_key", message: "${SYNCD_SECRET_KEY} is not set"},
		{name: "access_key unset variable quoted", doc: strings.Replace(validUpstream, "ak-0123456789abcdef0123", `"${SYNCD_ACCESS_KEY}"`, 1),
			path: "upstream.access_key", message: "${SYNCD_ACCESS_KEY} is not set"},
		{name: "base_url partly unset", doc: strings.Replace(validUpstream, "https://api.example.com", "https://${API_HOST}/", 1),
			path: "upstream.base_url", message: "${API_HOST} is not set"},
		{name: "secret_key with a newline", doc: strings.Replace(validUpstream, "sk-fedcba9876543210", `"sk\n"`, 1),
			path: "upstream.secret_key", message: "must not contain whitespace"},
		{name: "all missing", doc: "upstream: {}\n", path: "upstream.user_id", message: "required", wantN: 4},
		{name: "base_url scheme", doc: strings.Replace(validUpstream, "https://api.example.com", "ftp://api.example.com", 1),
			path: "upstream.base_url", message: "want an http(s) URL"},
		{name: "base_url no scheme", doc: strings.Replace(validUpstream, "https://api.example.com", "api.example.com", 1),
			path: "upstream.base_url", message: "want an http(s) URL"},
		{name: "base_url query", doc: strings.Replace(validUpstream, "https://api.example.com", "https://api.example.com/?a=1", 1),
			path: "upstream.base_url", message: "without query"},

		// upstream: limits.
		{name: "qps zero", doc: validUpstream + "  qps: 0\n", path: "upstream.qps", message: "must be a number > 0"},
		{name: "qps negative", doc: validUpstream + "  qps: -1\n", path: "upstream.qps", message: "> 0"},
		{name: "qps infinite", doc: validUpstream + "  qps: .inf\n", path: "upstream.qps", message: "> 0"},
		{name: "qps not a number", doc: validUpstream + "  qps: fast\n", path: "upstream.qps", message: `want a number, got "fast"`},
		{name: "burst zero", doc: validUpstream + "  burst: 0\n", path: "upstream.burst", message: "must be >= 1"},
		{name: "concurrency negative", doc: validUpstream + "  concurrency: -1\n", path: "upstream.concurrency", message: "between 1 and 128, or 0 for automatic"},
		{name: "concurrency 129", doc: validUpstream + "  concurrency: 129\n", path: "upstream.concurrency", message: "between 1 and 128, or 0 for automatic, got 129"},
		{name: "concurrency float", doc: validUpstream + "  concurrency: 1.5\n", path: "upstream.concurrency", message: "want an integer"},
		{name: "timeout zero", doc: validUpstream + "  timeout: 0s\n", path: "upstream.timeout", message: "must be > 0"},
		{name: "timeout negative", doc: validUpstream + "  timeout: -1s\n", path: "upstream.timeout", message: "must be > 0"},
		{name: "timeout without unit", doc: validUpstream + "  timeout: 15\n", path: "upstream.timeout", message: `want a Go duration such as "15s"`},
		{name: "timeout a list", doc: validUpstream + "  timeout: [15s]\n", path: "upstream.timeout", message: "got a list"},
		{name: "max_attempts zero", doc: validUpstream + "  max_attempts: 0\n", path: "upstream.max_attempts", message: "between 1 and 20"},
		{name: "max_attempts 21", doc: validUpstream + "  max_attempts: 21\n", path: "upstream.max_attempts", message: "between 1 and 20"},
		{name: "retry_codes success", doc: validUpstream + "  retry_codes: [429, 200]\n", path: "upstream.retry_codes[1]", message: "success code"},
		{name: "retry_codes scalar", doc: validUpstream + "  retry_codes: 429\n", path: "upstream.retry_codes", message: "want a list"},
		{name: "paths unknown kind", doc: validUpstream + "  paths:\n    nope: /x\n", path: "upstream.paths.nope", message: `unknown kind "nope"; one of: categories, category,`},
		{name: "paths relative", doc: validUpstream + "  paths:\n    keyword: v2/x\n", path: "upstream.paths.keyword", message: `starting with "/"`},
		{name: "language empty", doc: validUpstream + "  language: \"\"\n", path: "upstream.language", message: "must not be empty"},

		// state, index, http.
		{name: "state_dir empty", doc: validUpstream + "state_dir: \"\"\n", path: "state_dir", message: "must not be empty"},
		{name: "backend unknown", doc: validUpstream + "index:\n  backend: elastic\n", path: "index.backend", message: `want "bleve" or "meilisearch", got "elastic"`},
		{name: "meilisearch url unset", doc: validUpstream + "index:\n  backend: meilisearch\n  meilisearch:\n    url: ${MEILI_URL}\n",
			path: "index.meilisearch.url", message: "${MEILI_URL} is not set"},
		{name: "meilisearch url empty", doc: validUpstream + "index:\n  backend: meilisearch\n  meilisearch:\n    url: \"\"\n",
			path: "index.meilisearch.url", message: "required"},
		{name: "meilisearch url invalid", doc: validUpstream + "index:\n  backend: meilisearch\n  meilisearch:\n    url: localhost:7700\n",
			path: "index.meilisearch.url", message: "want an http(s) URL"},
		{name: "meilisearch index uid", doc: validUpstream + "index:\n  backend: meilisearch\n  meilisearch:\n    index: my offers\n",
			path: "index.meilisearch.index", message: "index uid"},
		{name: "listen without port", doc: validUpstream + "http:\n  listen: \"8790\"\n", path: "http.listen", message: "want host:port"},
		{name: "listen named port", doc: validUpstream + "http:\n  listen: localhost:http\n", path: "http.listen", message: "port 0..65535"},
		{name: "listen port too big", doc: validUpstream + "http:\n  listen: :70000\n", path: "http.listen", message: "port 0..65535"},

		// structure.
		{name: "unknown top key", doc: validUpstream + "job: []\n", path: "job", message: "unknown field (did you mean jobs?)"},
		{name: "unknown upstream key", doc: validUpstream + "  qsp: 3\n", path: "upstream.qsp", message: "did you mean qps?"},
		{name: "unknown key camel case", doc: validUpstream + "  baseUrl: https://x\n", path: "upstream.baseUrl", message: "did you mean base_url?"},
		{name: "unknown key far off", doc: validUpstream + "http:\n  zzzzzz: 1\n", path: "http.zzzzzz", message: "(known: listen, token)"},
		{name: "unknown job key", doc: keywordJob("    keyword: x\n"), path: "jobs[0].keyword", message: "did you mean keywords?"},
		{name: "duplicate key", doc: validUpstream + "  qps: 1\n  qps: 2\n", path: "upstream.qps", message: "key written twice (first at line 6)"},
		{name: "upstream a list", doc: "upstream: [a]\n", path: "upstream", message: "want a mapping, got a list"},
		{name: "jobs a mapping", doc: validUpstream + "jobs:\n  tees: {}\n", path: "jobs", message: "want a list, got a mapping"},
		{name: "root a list", doc: "- a\n", path: "", message: "must be a mapping"},
		{name: "root a scalar", doc: "hello\n", path: "", message: "must be a mapping"},
		{name: "merge of a scalar", doc: validUpstream + "http:\n  <<: 3\n", path: "http", message: "merge (<<) wants a mapping"},

		// variables.
		{name: "unterminated variable", doc: validUpstream + "state_dir: ${HOME\n", path: "state_dir", message: "unterminated ${"},
		{name: "invalid variable name", doc: validUpstream + "state_dir: ${1X}\n", path: "state_dir", message: "invalid variable name"},
		{name: "variable not a number", doc: validUpstream + "  qps: ${QPS}\n", env: map[string]string{"QPS": "lots"},
			path: "upstream.qps", message: `want a number, got "lots"`},
		{name: "unset variable hint", doc: keywordJob("    category_ids: [\"${CAT}x\"]\n"), path: "jobs[0].category_ids[0]",
			message: `want a numeric category id, got "x" (${CAT} is not set)`},

		// jobs: name, kind, schedule, paging.
		{name: "name missing", doc: jobsDoc("  - kind: recommend\n"), path: "jobs[0].name", message: "required"},
		{name: "name upper case", doc: jobsDoc("  - name: Tees\n    kind: recommend\n"), path: "jobs[0].name", message: `want [a-z0-9-]+, got "Tees"`},
		{name: "name starts with a dash", doc: jobsDoc("  - name: -tees\n    kind: recommend\n"), path: "jobs[0].name", message: `must not start with "-"`},
		{name: "name with space", doc: jobsDoc("  - name: my job\n    kind: recommend\n"), path: "jobs[0].name", message: "want [a-z0-9-]+"},
		{name: "name duplicate", doc: jobsDoc("  - name: a\n    kind: recommend\n  - name: b\n    kind: recommend\n  - name: a\n    kind: recommend\n"),
			path: "jobs[2].name", message: `duplicate job name "a" (first at jobs[0])`},
		{name: "kind missing", doc: jobsDoc("  - name: a\n"), path: "jobs[0].kind",
			message: "required; one of: category, global-strict, hotlist, image, keyword, recommend, related, shop, strict"},
		{name: "kind unknown", doc: jobsDoc("  - name: a\n    kind: trending\n"), path: "jobs[0].kind",
			message: `unknown job kind "trending"; one of: category, global-strict, hotlist, image, keyword, recommend, related, shop, strict`},
		{name: "kind not a listing", doc: jobsDoc("  - name: a\n    kind: detail\n    offer_ids: [\"1\"]\n"), path: "jobs[0].kind", message: `unknown job kind "detail"`},
		{name: "schedule invalid", doc: keywordJob("    schedule: every day\n"), path: "jobs[0].schedule", message: `invalid cron spec "every day"`},
		{name: "schedule bad descriptor", doc: keywordJob("    schedule: \"@every 6 hours\"\n"), path: "jobs[0].schedule", message: "invalid cron spec"},
		{name: "schedule six fields", doc: keywordJob("    schedule: \"0 0 3 * * *\"\n"), path: "jobs[0].schedule", message: "invalid cron spec"},
		{name: "schedule TZ alone", doc: keywordJob("    schedule: TZ=UTC\n"), path: "jobs[0].schedule", message: "invalid cron spec"},
		{name: "schedule never fires", doc: keywordJob("    schedule: \"0 0 30 2 *\"\n"), path: "jobs[0].schedule", message: "never fires"},
		{name: "schedule second job", doc: jobsDoc("  - name: a\n    kind: recommend\n  - name: b\n    kind: recommend\n    schedule: \"@hourly x\"\n"),
			path: "jobs[1].schedule", message: "invalid cron spec"},
		{name: "page_size zero", doc: keywordJob("    page_size: 0\n"), path: "jobs[0].page_size", message: "between 1 and 50, got 0"},
		{name: "page_size 51", doc: keywordJob("    page_size: 51\n"), path: "jobs[0].page_size", message: "between 1 and 50, got 51"},
		{name: "page_size text", doc: keywordJob("    page_size: twenty\n"), path: "jobs[0].page_size", message: `want an integer, got "twenty"`},
		{name: "max_pages negative", doc: keywordJob("    max_pages: -1\n"), path: "jobs[0].max_pages", message: "must be >= 0"},

		// jobs: price, sort, filter.
		{name: "price_start text", doc: keywordJob("    price_start: cheap\n"), path: "jobs[0].price_start", message: "want a decimal price"},
		{name: "price_end two dots", doc: keywordJob("    price_end: 5.5.5\n"), path: "jobs[0].price_end", message: "want a decimal price"},
		{name: "price_start negative", doc: keywordJob("    price_start: -5\n"), path: "jobs[0].price_start", message: "want a decimal price"},
		{name: "price range reversed", doc: keywordJob("    price_start: \"50\"\n    price_end: \"5.5\"\n"), path: "jobs[0].price_end", message: "5.5 is below price_start 50"},
		{name: "sort not JSON", doc: keywordJob("    sort: monthSold:desc\n"), path: "jobs[0].sort", message: "want a JSON object"},
		{name: "sort bad direction", doc: keywordJob("    sort: '{\"monthSold\":\"down\"}'\n"), path: "jobs[0].sort", message: `got "\"down\"" for "monthSold"`},
		{name: "sort array", doc: keywordJob("    sort: '[\"monthSold\"]'\n"), path: "jobs[0].sort", message: "want a JSON object"},
		{name: "sort empty object", doc: keywordJob("    sort: '{}'\n"), path: "jobs[0].sort", message: "empty object"},
		{name: "sort trailing text", doc: keywordJob("    sort: '{\"a\":\"asc\"} x'\n"), path: "jobs[0].sort", message: "trailing text"},
		{name: "price on hotlist", doc: kindJob("hotlist", "    rank_types: [hot]\n    price_start: \"5\"\n"), path: "jobs[0].price_start", message: "not used by kind hotlist"},
		{name: "sort on related", doc: kindJob("related", "    offer_ids: [\"1\"]\n    sort: '{\"a\":\"asc\"}'\n"), path: "jobs[0].sort", message: "not used by kind related"},
		{name: "filter on recommend", doc: kindJob("recommend", "    filter: x\n"), path: "jobs[0].filter", message: "not used by kind recommend"},

		// jobs: per-kind query lists required.
		{name: "keyword without keywords", doc: kindJob("keyword", ""), path: "jobs[0].keywords", message: "required by kind keyword"},
		{name: "keyword with empty keywords", doc: kindJob("keyword", "    keywords: []\n"), path: "jobs[0].keywords", message: "required by kind keyword"},
		{name: "strict without keywords", doc: kindJob("strict", ""), path: "jobs[0].keywords", message: "required by kind strict"},
		{name: "global-strict without keywords", doc: kindJob("global-strict", ""), path: "jobs[0].keywords", message: "required by kind global-strict"},
		{name: "category without category_ids", doc: kindJob("category", ""), path: "jobs[0].category_ids", message: "required by kind category"},
		{name: "shop without seller_open_ids", doc: kindJob("shop", "    keywords: [a]\n"), path: "jobs[0].seller_open_ids", message: "required by kind shop"},
		{name: "image without image_urls", doc: kindJob("image", ""), path: "jobs[0].image_urls", message: "required by kind image"},
		{name: "related without offer_ids", doc: kindJob("related", ""), path: "jobs[0].offer_ids", message: "required by kind related"},
		{name: "hotlist without rank_types", doc: kindJob("hotlist", "    category_ids: [\"1\"]\n"), path: "jobs[0].rank_types", message: "required by kind hotlist"},

		// jobs: per-kind query lists not used.
		{name: "keyword with seller_open_ids", doc: keywordJob("    seller_open_ids: [s1]\n"), path: "jobs[0].seller_open_ids", message: "not used by kind keyword"},
		{name: "category with keywords", doc: kindJob("category", "    category_ids: [\"1\"]\n    keywords: [a]\n"), path: "jobs[0].keywords", message: "not used by kind category"},
		{name: "recommend with keywords", doc: kindJob("recommend", "    keywords: [a]\n"), path: "jobs[0].keywords", message: "not used by kind recommend"},
		{name: "related with category_ids", doc: kindJob("related", "    offer_ids: [\"1\"]\n    category_ids: [\"2\"]\n"), path: "jobs[0].category_ids", message: "not used by kind related"},
		{name: "strict with category_ids", doc: kindJob("strict", "    keywords: [a]\n    category_ids: [\"2\"]\n"), path: "jobs[0].category_ids", message: "not used by kind strict"},
		{name: "hotlist with keywords", doc: kindJob("hotlist", "    rank_types: [hot]\n    keywords: [a]\n"), path: "jobs[0].keywords", message: "not used by kind hotlist"},
		{name: "image with offer_ids", doc: kindJob("image", "    image_urls: [\"https://x/a.jpg\"]\n    offer_ids: [\"1\"]\n"), path: "jobs[0].offer_ids", message: "not used by kind image"},

		// jobs: query list values.
		{name: "rank type unknown", doc: kindJob("hotlist", "    rank_types: [hot, cheap]\n"), path: "jobs[0].rank_types[1]", message: `unknown rank type "cheap"; one of: complex, hot, goodPrice`},
		{name: "category id not numeric", doc: kindJob("category", "    category_ids: [\"12a\"]\n"), path: "jobs[0].category_ids[0]", message: "want a numeric category id"},
		{name: "offer id not numeric", doc: kindJob("related", "    offer_ids: [abc]\n"), path: "jobs[0].offer_ids[0]", message: "want a numeric offer id"},
		{name: "image url relative", doc: kindJob("image", "    image_urls: [/a.jpg]\n"), path: "jobs[0].image_urls[0]", message: "want an http(s) URL"},
		{name: "keyword blank", doc: kindJob("keyword", "    keywords: [a, \" \"]\n"), path: "jobs[0].keywords[1]", message: "must not be empty"},
		{name: "keyword repeated", doc: kindJob("keyword", "    keywords: [T恤, polo, T恤]\n"), path: "jobs[0].keywords[2]", message: "repeats keywords[0]"},
		{name: "keywords a string", doc: kindJob("keyword", "    keywords: T恤\n"), path: "jobs[0].keywords", message: `want a list, got "T恤"`},
		{name: "keywords nested list", doc: kindJob("keyword", "    keywords: [[a]]\n"), path: "jobs[0].keywords[0]", message: "want a string, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.doc, env(tt.env))
			wantN := max(tt.wantN, 1)
			if len(es) != wantN {
				t.Errorf("got %d errors, want %d:%s", len(es), wantN, listErrors(es))
			}
			e := findError(es, tt.path)
			if e == nil {
				t.Fatalf("no error at path %q:%s", tt.path, listErrors(es))
			}
			if !strings.Contains(e.Msg, tt.message) {
				t.Errorf("error at %q = %q, want it to contain %q", tt.path, e.Msg, tt.message)
			}
			if tt.path != "" && !strings.Contains(e.Error(), tt.path+": ") {
				t.Errorf("Error() = %q does not name the path %q", e.Error(), tt.path)
			}
			if tt.path != "" && e.Line == 0 {
				t.Errorf("error at %q has no line", tt.path)
			}
		})
	}
}

// TestParse_ValidKinds checks that each kind accepts the lists it needs and the optional
// ones the doc table promises, so the error cases above are not passing for a wrong
// reason.
func TestParse_ValidKinds(t *testing.T) {
	docs := map[string]string{
		"keyword":          "kind: keyword\n    keywords: [T恤]\n    category_ids: [\"1031919\"]\n    price_start: \"5\"\n    price_end: \"5\"\n    sort: '{\"monthSold\":\"desc\",\"price\":\"asc\"}'\n    filter: jxhy",
		"category":         "kind: category\n    category_ids: [\"1031919\"]\n    price_end: \"9.90\"",
		"shop":             "kind: shop\n    seller_open_ids: [BBBx]\n    keywords: [a, b]\n    category_ids: [\"1\"]",
		"image":            "kind: image\n    image_urls: [\"https://cbu01.alicdn.com/a.jpg?x=1\"]\n    category_ids: [\"1\"]",
		"related":          "kind: related\n    offer_ids: [\"624311844961\"]",
		"recommend":        "kind: recommend",
		"strict":           "kind: strict\n    keywords: [a]",
		"global-strict":    "kind: global-strict\n    keywords: [a]",
		"hotlist":          "kind: hotlist\n    rank_types: [complex, hot, goodPrice]",
		"hotlist+category": "kind: hotlist\n    rank_types: [hot]\n    category_ids: [\"1\"]",
		"schedules":        "kind: recommend\n    schedule: \"CRON_TZ=Asia/Shanghai 30 3 * * 1-5\"",
		"max_pages zero":   "kind: recommend\n    max_pages: 0",
	}
	for name, job := range docs {
		t.Run(name, func(t *testing.T) {
			mustParse(t, jobsDoc("  - name: j\n    "+job+"\n"), nil)
		})
	}
}

func TestParse_ReportsAllErrorsInLineOrder(t *testing.T) {
	doc := `upstream:
  base_url: ftp://x
  access_key: a
  secret_key: s
  user_id: "1"
  qps: 0
jobs:
  - name: a
    kind: keyword
    keywords: [x]
    page_size: 99
  - name: a
    kind: nope
`
	es := parseErrors(t, doc, nil)
	want := []struct {
		line int
		path string
	}{
		{2, "upstream.base_url"},
		{6, "upstream.qps"},
		{11, "jobs[0].page_size"},
		{12, "jobs[1].name"},
		{13, "jobs[1].kind"},
	}
	if len(es) != len(want) {
		t.Fatalf("got %d errors, want %d:%s", len(es), len(want), listErrors(es))
	}
	for i, w := range want {
		if es[i].Line != w.line || es[i].Path != w.path {
			t.Errorf("error %d = line %d %s, want line %d %s", i, es[i].Line, es[i].Path, w.line, w.path)
		}
	}
	lines := strings.Split(es.Error(), "\n")
	if len(lines) != 1+len(want) || lines[0] != "5 problems:" {
		t.Errorf("Errors.Error() = %q, want a header and one line per problem", es.Error())
	}
	if !strings.Contains(lines[1], "line 2: upstream.base_url: ") {
		t.Errorf("first line %q, want it to start with line and path", lines[1])
	}
}

func TestParse_MalformedYAMLHasLine(t *testing.T) {
	tests := []struct {
		name, doc string
		line      int
	}{
		{"unclosed flow list", validUpstream + "jobs: [\n", 6},
		{"tab indentation", validUpstream + "state_dir:\n\t- x\n", 7},
		{"bad mapping", "upstream:\n  base_url: a: b\n", 2},
		{"second document", validUpstream + "---\nstate_dir: x\n", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := parseErrors(t, tt.doc, nil)
			if len(es) != 1 {
				t.Fatalf("got %d errors, want 1:%s", len(es), listErrors(es))
			}
			if !strings.Contains(es[0].Msg, "malformed YAML") {
				t.Errorf("message %q, want it to say malformed YAML", es[0].Msg)
			}
			if es[0].Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", es[0].Line, tt.line, es[0])
			}
		})
	}
}
