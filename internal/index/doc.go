// Package index owns the searchable projection of the mirror: the Offer document
// (DESIGN §7), the query model (text, Meilisearch-syntax filter, sort, facets, paging), the
// filter parser, the Index interface that the embedded (index/bleve) and Meilisearch
// (index/meili) backends implement, and the Offer's binary form (AppendBinary), which the
// mirror's rows and the bleve backend's stored documents share. index/indextest is the
// conformance suite both backends pass.
//
// A backend is a projection: everything in it can be rebuilt from the bbolt mirror, so a
// backend never holds data that exists nowhere else.
package index
