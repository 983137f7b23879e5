// Package config owns syncd's configuration file (DESIGN §5): its schema, defaults,
// ${VAR} expansion and validation. Only cmd/syncd imports it; it turns a Config into the
// plain arguments and Options structs of the internal packages.
//
// # Loading
//
// Load reads a file and Parse a document. Both return a Config that passed validation
// with every default applied, or an error for which IsConfigError is true: an Errors
// listing every problem at once, one per line, each an *Error naming the field path
// ("jobs[1].schedule") and, when known, its line. A field that is absent is reported at
// the line of its enclosing key.
//
// # Environment variables
//
// ${VAR} and ${VAR:-default} are expanded in scalar values of the parsed YAML tree, never
// in keys and never in the raw text: a value such as "x\nfoo: bar" stays one string and
// cannot add keys, and line numbers stay those of the file. $$ writes a literal $; any
// other $ is literal as well. A variable that is unset or empty expands to "" — in a
// required field (upstream.base_url, access_key, secret_key, user_id, and
// index.meilisearch.url with the meilisearch backend) that is an error naming the field and
// the variable: "upstream.secret_key: ${SYNCD_SECRET_KEY} is not set".
//
// # Defaults
//
// A key that is absent, null, or a ${VAR} expanding to "" takes its default (the Default*
// constants, DESIGN §5): language en, qps 5, burst 1, concurrency 0 (automatic, from qps), timeout 15s,
// max_attempts 5, retry_codes [429], state_dir ./data, index.backend bleve, meilisearch url
// http://127.0.0.1:7700 and index offers, http.listen 127.0.0.1:8790, and per job
// page_size 20 and max_pages 100. An explicit empty list ("retry_codes: []") is a value,
// not a default. max_pages: 0 means no page limit.
//
// # Jobs and query lists
//
// A job's kind (upstream.ListingKinds) decides which query lists it needs and which it
// may take; any other list is an error ("jobs[0].seller_open_ids: not used by kind
// keyword"). The lists the endpoint table says an endpoint takes are accepted, except
// keywords on a category job (DESIGN §4 sends those with the keyword empty):
//
//	kind           needs            may also take
//	keyword        keywords         category_ids
//	category       category_ids     -
//	shop           seller_open_ids  keywords, category_ids
//	image          image_urls       category_ids
//	related        offer_ids        -
//	recommend      -                -
//	strict         keywords         -
//	global-strict  keywords         -
//	hotlist        rank_types       category_ids
//
// Job.Queries expands a job into its upstream queries, the cross product of its lists.
// price_start, price_end, sort and filter are accepted only by kinds whose endpoint takes
// them (keyword, category, shop, image).
//
// # Printing
//
// Config.Masked returns a copy with the secrets masked and Config.YAML renders a config as
// a document that parses back to the same Config; `syncd config check` prints
// cfg.Masked().YAML(). syncd.example.yaml in this directory documents every key.
package config
