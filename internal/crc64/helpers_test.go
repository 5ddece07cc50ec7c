package crc64

import (
	"encoding/binary"
	"hash/crc64"
	"math/rand/v2"
	"testing"
)

// implementation is one way to compute Update, so every test exercises
// each code path the running machine can take.
type implementation struct {
	name string
	fn   func(crc uint64, p []byte) uint64
	// delegates marks an implementation that is hash/crc64 itself, which
	// the exhaustive tests skip: comparing it with itself proves nothing.
	delegates bool
}

// randomBytes returns n deterministic pseudo-random bytes for seed.
func randomBytes(tb testing.TB, n int, seed int64) []byte {
	tb.Helper()
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], uint64(seed))
	buf := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(buf)
	return buf
}

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

// stdlib is the reference every implementation must match.
func stdlib(crc uint64, p []byte) uint64 {
	return crc64.Update(crc, crc64.MakeTable(crc64.ECMA), p)
}
