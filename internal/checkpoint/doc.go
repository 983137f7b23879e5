// Package checkpoint is syncd's bbolt store, the source of truth: the offer mirror (each
// offer's document, content hash and last sighting), every job's cursor, and run history.
// A page's mirror rows, its sightings and the cursor that follows it are written in one
// transaction (DESIGN §3 rule 1), so a crash leaves the store at a page boundary.
//
// One file holds everything, locked by the process that opened it: a second syncd on the
// same state directory fails within Options.LockTimeout with ErrLocked (DESIGN §3 rule 7).
// Its buckets are
//
//	meta       schema version and the offer counter behind CountOffers
//	offers     offer id → Row, in the binary format of rowcodec.go (the hot path)
//	jobs       job name → JobRecord as JSON (cursor and last run)
//	runs       job name → bucket of big-endian sequence → Run as JSON (the last 100)
//	sightings  job name → bucket of run id, 0, big-endian sequence → the ids of offers
//	           a commit saw unchanged and did not rewrite (sightings.go)
//
// Every write is one bbolt transaction, durable when the method returns nil. Reads that
// may be slow (ForEachOffer) use short transactions, so they never hold up writers or
// grow the file.
package checkpoint
