// Package meilitest is an in-process fake of the Meilisearch REST API
// (https://www.meilisearch.com/docs/reference/api) for the calls syncd makes, so that the
// meili backend and the end-to-end tests of cmd/syncd run without a server. New returns an
// http.Handler; Start serves one on a loopback port for the length of a test.
//
// # What it follows
//
//   - Routes and status codes: /health, /version, indexes (list, create, get, delete),
//     settings (all, one by route name, PATCH), documents (add, get, delete-batch), search,
//     stats, /swap-indexes and /tasks/{uid}. Anything else is 404 and a problem.
//   - Authentication: with Options.APIKey set, /health is public, a request without a key
//     is 401 missing_authorization_header and one with another key 403 invalid_api_key.
//   - Tasks: every write answers 202 with a summarized task and takes effect only when the
//     task reaches "succeeded". Tasks run in enqueue order; each reports the statuses set by
//     SetTaskSteps ("enqueued", "processing" by default) to its first polls and finishes at
//     the next one. Unlike a real server, a task never finishes while nobody polls it (or a
//     later task), which keeps tests deterministic; every caller in syncd waits for its tasks.
//   - Error objects ({message, code, type, link}) and failed task objects.
//   - Settings: a new index has Meilisearch 1.15's defaults; PATCH merges nested objects
//     (typoTolerance, pagination, faceting), stores sortableAttributes as a sorted set, and
//     rejects unknown settings.
//   - /swap-indexes rejects "rename" before Meilisearch 1.18 (Options.Version), as 1.15 to
//     1.17 do.
//   - Compression: answers are gzip-compressed when the request accepts gzip, and
//     gzip-compressed document payloads are read.
//   - Documents are replaced whole by primary key; adding documents to a missing index
//     creates it, taking the primaryKey parameter as its primary key.
//
// # Search, simplified
//
// Search honours q, limit (default 20), offset, facets and matchingStrategy ("last", the
// default, or "all"), and answers with hits, estimatedTotalHits (capped at the index's
// pagination.maxTotalHits, like paging) and facetDistribution (only for filterable
// attributes, as Meilisearch requires). Matching is deliberately simple: a word of q (split
// on white space, compared case-insensitively) matches a document when it occurs as a
// substring of one of its searchable attributes (searchableAttributes; "*" means every
// attribute). With "all" every word must match; with "last" words are dropped from the end
// of q until documents match. There is no typo tolerance, stemming, language segmentation or
// ranking: hits come in primary-key order.
//
// filter and sort are recorded (Searches) but NOT applied: every matching document is
// returned whatever the filter, in primary-key order whatever the sort. Tests of filters and
// sorts run against the bleve backend and, with a real server, the conformance suite
// (internal/index/meili/README.md). Other search parameters Meilisearch knows (page,
// attributesToHighlight, ...) are not implemented; using one is a problem.
//
// # Checks and recordings
//
// The fake records what clients send (Calls, AuthHeaders, SettingsPatches, DocumentBatches,
// Searches, Swaps, Tasks) so tests can check the mapping. Requests Meilisearch would reject
// or that syncd should never send (a wrong Content-Type, malformed JSON, an unknown route,
// setting or search parameter, a swap that is not a pair, a document that is not a syncd
// offer as DESIGN §7 types it) are answered as Meilisearch would and listed by Problems;
// Start fails the test when any were recorded.
package meilitest
