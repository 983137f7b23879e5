// Package sim is the PandaPon API simulator: an http.Handler that serves every endpoint of
// the upstream endpoint table (upstream.Kinds) from a deterministic generated catalog of
// 1688-like offers. `syncd simulate`, `syncd demo` and the tests of every other package run
// against it, so it behaves like the real API as far as API.md knows it, and fails like it
// too.
//
// What it guarantees:
//
//   - Determinism. The same Options.Seed and Options.Offers build the same catalog, and the
//     same sequence of requests gets byte-identical answers, requestId included (it derives
//     from the seed and the request count). FaultSeed does the same for injected faults and
//     latency jitter.
//   - The wire contract of API.md and DESIGN §4: POST with a JSON body on the endpoint paths
//     (with per-kind overrides), signed headers checked with upstream.Sign, timestamps in
//     seconds or milliseconds within 600 s, the {requestId, code, developId, msg, data}
//     envelope with developId as a bare 19-digit JSON number, the paged object with the
//     2,000-result cap and its totalPage quirk, and errors as HTTP 200 with a non-200
//     envelope code (see the Code constants, placeholders since the real codes are unknown).
//   - Realistic failure: a token-bucket quota answered with code 429, added latency, and
//     faults (HTTP 500, 502 with HTML, truncated JSON, connection reset, stall), injected at a
//     random rate or on demand with FailNext.
//   - Observability for tests: Stats counts requests, served pages by page key, faults and
//     rejections; Duplicates lists pages served more than once; Matches tells which offers
//     a query returns without spending a request.
//
// What each listing kind returns (Matches gives the same list; results are capped at
// MaxResults and paged as items [(p-1)n, pn)):
//
//   - keyword: offers whose titles match every word of the keyword — a substring of the
//     Chinese subject (case-insensitive), a word of the English subjectTrans (parts of
//     hyphenated words too: "shirt" finds t-shirts), or a run of title pieces (纯棉T恤
//     finds 纯棉宽松短袖T恤); filtered by categoryId (a family matches its subcategories,
//     an industry its families) and priceStart/priceEnd (yuan, inclusive); ordered by
//     sort ({"price":"asc"|"desc"}, {"monthSold":"asc"|"desc"}), by default monthSold
//     descending. filter is accepted and ignored. Ties always break on the offer id.
//   - category: the keyword endpoint with an empty keyword and categoryId set.
//   - strict, global-strict: keyword search among isJxhy offers; global-strict also needs
//     a repurchase rate of 30% or more.
//   - shop: the offers of sellerOpenId (each seller trades in one or two families), with
//     the keyword search filters.
//   - image: imageAddress (or imageBase64) picks a family — the offer's own when the
//     picture is one of ours — and returns that family by picture similarity, the pictured
//     offer first.
//   - related: offers of offerId's subcategory, without it; CodeNotFound for an unknown id.
//   - recommend: the best sellers of every family, interleaved.
//   - hotlist: rankType hot (monthSold descending), goodPrice (price ascending among offers
//     selling at least the median), complex (sales, repurchase and jxhy blended), within
//     categoryId when set.
//
// detail answers one offer by offerId and categories one node of the category tree (see
// LookupCategory), CodeNotFound for unknown ids. Mutate changes prices; nothing else about
// the catalog ever changes.
//
// Besides the API paths it serves GET /healthz, GET /_sim/stats, POST /_sim/stats/reset,
// POST /_sim/mutate?fraction=F&seed=N, POST /_sim/fail?fault=F&n=N and GET /img/{offerId}.svg
// (a generated product picture, so a demo works offline).
//
// The catalog is compact so a million offers build in a second or two in about 70 MB: fixed-size offer
// records, titles rebuilt on demand from a small vocabulary, int32 posting lists per title
// token, category and seller, and a bounded LRU of sorted result lists so paging through a
// query never re-sorts.
package sim
