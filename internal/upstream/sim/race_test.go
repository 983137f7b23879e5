//go:build race

package sim

// raceEnabled reports a -race build: the race detector slows the million-offer test down
// past the package's time budget, so it is skipped there.
const raceEnabled = true
