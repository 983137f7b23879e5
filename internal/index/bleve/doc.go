// Package bleve is the embedded search backend: an index.Index kept in a bleve (scorch)
// index in one directory, with nothing to install or run.
//
// Durability: Upsert and Delete return only after bleve's persister has written and
// fsynced the segment holding the batch and committed (fsynced) the index root that refers
// to it (scorch with unsafe_batch off), and after this package fsynced the directory that
// names the new segment files. A process crash or power loss after they return loses
// nothing, which is what the crawler's checkpoint rule needs (DESIGN §3 rule 1). Bleve
// does not fsync directories after its background merges; if power is lost at the wrong
// moment the index can fail to open (it is never silently missing acknowledged documents)
// and must be rebuilt from the mirror (syncd reindex).
//
// Rebuild builds a complete new index beside the live one and swaps directories, and Open
// finishes or rolls back a swap that a crash interrupted, so the directory always holds
// one complete index. See Rebuild for the layout.
//
// Text search: subject is analysed for Chinese with character bigrams that also span a
// Latin word touching Chinese text (so "T恤" and "polo衫" match); subjectTrans with
// English analysis (stemming, stop words). Filters are compiled from the parsed
// Meilisearch-syntax expression (index.ParseFilter) to bleve queries. See Search for how
// matching, ranking, sorting and facets behave, and mapping.go for how each field is
// indexed and why.
//
// Searching does not go through bleve's collector when it can avoid it: the matches are
// computed as roaring bitmaps per segment (bitmaps.go), which gives the count and the
// facet counts without visiting each match, and a page is collected by walking blocks of
// the first sort field in sort order (topk.go), reading the sort keys of a few dozen
// matches instead of all of them. Bleve's own search runs what those cannot do. Every hit
// is rebuilt from one stored field, the offer in binary (storeddoc.go).
package bleve
