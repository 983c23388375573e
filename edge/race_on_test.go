//go:build race

package edge

// raceEnabled: the race detector is on (its shadow memory counts in RSS).
const raceEnabled = true
