// Package checkpoint is syncd's bbolt store, the source of truth: the offer mirror (each
// offer's document, content hash and last sighting), every job's cursor, and run history.
// A page's mirror rows and the cursor that follows it are written in one transaction
// (DESIGN §3 rule 1), so a crash leaves the store at a page boundary.
package checkpoint
