// Command syncd keeps a local, searchable mirror of slices of the 1688 wholesale catalog,
// read through the PandaPon open API (see README.md).
//
// This package only wires: it loads the config, builds the store, index, upstream client,
// runner, scheduler and HTTP server from it (app.go), and runs one subcommand per file
// (run, backfill, search, status, reindex, simulate, demo, config check, version, bench).
// Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.
//
// The end-to-end tests live here too: they run the commands in-process against the
// simulator, and the real binary as a subprocess for the crash and daemon tests.
package main
