//go:build !race

package partio

const raceEnabled = false
