// Package bench measures syncd against its physical limits: the upstream quota, and how
// fast bleve alone absorbs documents. Every measurement runs the simulator in-process over
// loopback HTTP and drives syncd through a System, which cmd/syncd implements with the same
// wiring its commands use (config → store, index, client, runner), so the figures are those
// of the real code paths. `syncd bench` prints them; docs/PERFORMANCE.md records them.
//
// Bare-bleve references (Baseline) use the bleve library directly, with the mapping of
// perf/bleve-baseline.md, on the same documents and the same disk, in the same run.
package bench
