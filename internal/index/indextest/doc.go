// Package indextest is the conformance suite every index.Index backend passes:
// Run(t, open) checks the index contract (upsert, get, delete, count, full-text search in
// Chinese and English, every filter operator, sorting, paging, facets, totals, rebuild)
// through the interface only, against a small deterministic fixture of offers built here.
//
// The suite relies on the contract, not on one backend's behaviour: a write is visible
// once Upsert or Delete returned; multi-word text matches documents that contain every
// word; without a sort, results come best sellers first (monthSold descending), and ties
// of a sort go to the better seller; documents without a sort field come last; facets
// report values with a non-zero count.
package indextest
