//go:build race

package partio

const raceEnabled = true
