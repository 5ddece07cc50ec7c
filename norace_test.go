//go:build !race

package vodupload

const raceEnabled = false
