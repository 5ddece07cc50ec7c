//go:build race

package vodupload

// raceEnabled: under the race detector sync.Pool drops a quarter of what
// it is given, so reuse through it is only likely.
const raceEnabled = true
