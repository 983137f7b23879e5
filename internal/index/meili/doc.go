// Package meili is the Meilisearch backend of index.Index: the production index for a
// catalog or an audience that outgrows one machine. Like every backend it is a projection
// of the bbolt mirror and can be rebuilt from it at any time (`syncd reindex`).
//
// # Requirements
//
// Meilisearch 1.15 or later (MinVersion): syncd's settings use granular
// filterableAttributes (1.14) and typoTolerance.disableOnNumbers (1.15); localizedAttributes
// (1.10) and swap-indexes come with them. Open checks GET /version and refuses an older
// server with a message naming both versions, instead of failing later on "unknown field".
//
// The API key (Options.APIKey, config index.meilisearch.api_key) may be the master key or
// an admin key; a restricted key needs the actions search, documents.add, documents.get,
// documents.delete, indexes.create, indexes.get, indexes.delete, indexes.swap,
// settings.get, settings.update, stats.get, tasks.get and version, on the index uid and on
// "<uid>_rebuild_*". The key is only ever sent in the Authorization header: it never
// appears in an error or a log line (DESIGN §3 rule 8).
//
// # Settings syncd applies, and why
//
// Open creates the index with primary key offerId when it is missing, then reads its
// settings and PATCHes only those that differ, in one request, waiting for the task: a
// settings update re-indexes every document, so an unchanged index costs nothing at restart.
// Settings are in place before the first document (Rebuild sets them on its empty temporary
// index too).
//
//   - searchableAttributes ["subjectTrans", "subject"]: only titles are searched; the image
//     URL, ids and numbers are not text. Order matters to the attribute ranking rule: most
//     queries are typed in English, so a match in the translated title ranks first.
//   - localizedAttributes subject → cmn, subjectTrans → eng: Meilisearch otherwise detects the
//     language of every title and query, and Han characters are ambiguous between Chinese
//     and Japanese, whose segmenters cut the same text differently, so a title and the query
//     for it can end up with different words. With the locales declared, titles are segmented
//     with the Chinese dictionary and query detection is limited to these two languages.
//   - filterableAttributes, granular (every Filterable field of index.Fields): numbers
//     (price, jxhyPrice, pfJxhyPrice, monthSold, repurchaseRate, firstSeenAt, updatedAt)
//     get equality and comparison (=, <, >=, TO…); strings, lists and booleans (offerId,
//     categoryId, sellerOpenId, sources, isJxhy) get equality only (=, !=, IN, EXISTS).
//     Facet search is off everywhere: syncd has no facet-search endpoint, and each feature
//     left off is index structure Meilisearch does not build or update on every write.
//     Facet distributions only need the attribute to be filterable.
//   - sortableAttributes: the Sortable fields of index.Fields.
//   - rankingRules [words, sort, typo, monthSold:desc, proximity, attribute, exactness]:
//     sort moved up from fifth to second place, so that an explicit sort ("price:asc")
//     orders the matches strictly, as users of a sourcing tool expect and as the bleve
//     backend does, instead of only breaking ties between equally relevant offers (without
//     a sort the rule does nothing); and the custom rule monthSold:desc after typo, so that
//     among the offers that match every word without typos the best sellers come first,
//     which is the bleve backend's default order and how 1688 ranks a keyword search.
//     Proximity, attribute and exactness then only break ties between equal sales.
//   - typoTolerance: disableOnNumbers, so that 2024 does not match 2025 and a size or a
//     model number in a title is matched exactly; and minWordSizeForTypos oneTypo 6
//     (Meilisearch's default is 5): apparel nouns of five letters are one letter apart
//     (shirt/short/skirt, dress/press, socks/sacks) and typos made them match each other.
//     Six letters and longer still allow one typo, which also gives plural/singular
//     matching for them ("shirts" finds "shirt"; Meilisearch has no stemming). twoTypos
//     stays 9.
//   - pagination.maxTotalHits 1000000 (default 1000): estimatedTotalHits, the Total of a
//     Result, is capped at it, and so is how far paging reaches; 1000 would report "1000
//     results" for a catalog of 300,000 and show nothing past page 50. Shallow pages cost
//     the same whatever the cap; only a deep page costs more, in proportion to its depth.
//
// # Writes and the checkpoint
//
// Upsert sends documents with AddDocuments (POST /indexes/{uid}/documents?primaryKey=offerId)
// as gzip JSON, Options.BatchSize (10,000) documents or 32 MiB per request, at most four
// requests ahead of the tasks acknowledged, polls each task with GetTask (backing off from
// Options.PollInterval to 1s), and returns nil only when every task succeeded: a failed
// task is a *TaskError with Meilisearch's message, a task still running after
// Options.TaskTimeout wraps ErrTaskTimeout, and in both cases the crawl runner keeps its
// cursor (DESIGN §3 rule 1). Documents are replaced, never partially updated, so an
// optional field that disappeared upstream disappears from the index; re-sending a page
// after a crash is idempotent.
//
// # Search
//
// The query is validated by index.Query.Validate (same *index.QueryError as on bleve),
// then the parsed filter is sent in canonical form (index.FormatFilter: keywords upper-cased,
// as Meilisearch requires), sorts as "field:asc|desc", facets as
// facetDistribution (booleans "true"/"false"), limit and offset as given, and
// matchingStrategy "all": every query word must match, as on bleve. Result.Total is
// estimatedTotalHits (capped at maxTotalHits): exact for filters and empty queries,
// documented by Meilisearch as an estimate for text queries. Known differences from the
// bleve backend: string equality in filters is case-insensitive; English words are not
// stemmed (plurals match through typo tolerance from six letters, and the last query word
// matches as a prefix); a facet reports at most 100 values (faceting.maxValuesPerFacet).
//
// # Rebuild
//
// Rebuild (`syncd reindex`) builds "<uid>_rebuild_<unix>" from the mirror with the same
// settings, waits for every task, swaps it with the live index (POST /swap-indexes, atomic
// for searches) and deletes the temporary index, which then holds the old documents.
// Searches never see a half-built index; on failure before the swap the temporary index is
// deleted and the live one is untouched. Temporary indexes left by an interrupted rebuild are
// deleted by the next one.
//
// # Errors
//
// An unreachable server is "meilisearch at <url> is unreachable: …"; a refused key is
// "meilisearch at <url> refused the API key (check index.meilisearch.api_key)", a missing one
// "… requires an API key"; other answers are *APIError with Meilisearch's code and message.
// Any password in the URL is redacted.
//
// # meilisearch-go, and the two requests made without it
//
// The backend talks to Meilisearch through github.com/meilisearch/meilisearch-go (v0.37.0),
// created with meilisearch.New(url, WithAPIKey, WithCustomClient, DisableRetries): Health
// and Version; GetIndex, CreateIndex, DeleteIndex and ListIndexes; the per-setting getters
// GetSearchableAttributes, GetLocalizedAttributes, GetFilterableAttributes,
// GetSortableAttributes, GetRankingRules, GetTypoTolerance and GetPagination; AddDocuments,
// DeleteDocuments, GetDocument, GetStats and Search; and GetTask for every wait. SDK errors
// (*meilisearch.Error) are turned into the errors described under Errors (client.check),
// never shown as they are: the SDK's messages repeat response bodies and name no server.
//
// Two requests are plain HTTP (client.do), each because of a limitation in the SDK's code:
//
//   - PATCH /indexes/{uid}/settings. UpdateSettings takes a Settings whose
//     FilterableAttributes is a []string, so it cannot send granular rules, and whose
//     TypoTolerance always serializes enabled, disableOnWords and disableOnAttributes, zero
//     values included, so setting disableOnNumbers and minWordSizeForTypos would also turn
//     typo tolerance off and reset the two lists (unless syncd read them and wrote them
//     back, racing an operator's edit). The per-setting updaters (UpdateFilterableAttributes
//     with granular rules, UpdateTypoTolerance, ...) can each express one setting, but as up
//     to seven settings tasks, each of which may re-index every document; one PATCH is one
//     task. GetSettings cannot read the settings back either (decoding granular rules into
//     []string fails), hence the per-setting getters.
//   - POST /swap-indexes. SwapIndexes always sends "rename": false, a field added in
//     Meilisearch 1.18, and 1.15 to 1.17 reject unknown fields, so the SDK's swap fails on
//     servers syncd supports. When MinVersion reaches 1.18, SwapIndexes can replace it.
//
// Three SDK features are left out on purpose. WithContentEncoding compresses every request
// and then decodes every answer, error answers included, as compressed without looking at
// its Content-Encoding (only the SDK's NDJSON streaming path checks
// responseUsesClientEncoding), so an uncompressed answer, from a reverse proxy, a load
// balancer's error page or a server that ignores Accept-Encoding, fails to decode and loses
// Meilisearch's error code. Instead the HTTP client's transport (transport.go) gzips
// document batches only, and net/http asks for compressed answers and decompresses those
// that are; the same transport bounds every answer to 64 MiB (DESIGN §3 rule 6), which the
// SDK, reading bodies with io.ReadAll, does not. The SDK's retries (on 502-504, up to three,
// after 1s, 2s, 3s) are disabled: they would re-send writes and outlast short task
// deadlines, and only task polls are worth repeating, which wait does within its deadline.
// WaitForTask is not used: it polls at a fixed interval and gives up on the first failed
// poll.
//
// # Tests
//
// The contract tests run against meilitest, an in-process fake that follows the documented
// REST API for these calls (routes, status codes, task objects and transitions, error
// objects, authentication, settings normalisation, compressed answers, and the 1.15
// swap-indexes body, which has no "rename"); its search is simplified and applies no filter
// or sort (see its doc.go). The end-to-end tests of cmd/syncd use it too.
// meili_real_test.go runs the indextest conformance suite and a few server-specific checks
// against a real server when SYNCD_MEILI_URL (and SYNCD_MEILI_KEY) is set; see README.md.
package meili
