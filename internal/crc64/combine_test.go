package crc64

import (
	"math"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCombineMatchesChecksumOfConcatenation(t *testing.T) {
	t.Parallel()
	buf := randomBytes(t, 8<<10, 3)
	r := newRand(3)
	for trial := range 2000 {
		i := r.IntN(len(buf) + 1)
		j := i + r.IntN(len(buf)-i+1)
		switch trial % 10 { // force empty sides regularly
		case 0:
			i = 0
		case 1:
			j = i
		}
		a, b := buf[:i], buf[i:j]
		got := Combine(Checksum(a), Checksum(b), int64(len(b)))
		require.Equalf(t, Checksum(buf[:j]), got, "len(A)=%d len(B)=%d", len(a), len(b))
	}
}

// mulModPNormal multiplies polynomials mod P in normal bit order with
// Horner's rule: a reference independent of multModP.
func mulModPNormal(a, b uint64) uint64 {
	var p uint64
	for i := 63; i >= 0; i-- {
		p = p<<1 ^ ecmaNormal&-(p>>63)
		p ^= b & -(a >> i & 1)
	}
	return p
}

// combineReference computes crc1*x^(8n) + crc2 mod P by square-and-multiply
// on x^8, without the package's power table.
func combineReference(crc1, crc2 uint64, n int64) uint64 {
	pow, base := uint64(1), uint64(1)<<8
	for ; n != 0; n >>= 1 {
		if n&1 != 0 {
			pow = mulModPNormal(pow, base)
		}
		base = mulModPNormal(base, base)
	}
	return bits.Reverse64(mulModPNormal(bits.Reverse64(crc1), pow)) ^ crc2
}

func TestCombineHugeLengths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		len2 int64
	}{
		{name: "zero", len2: 0},
		{name: "one byte", len2: 1},
		{name: "5GiB single PUT limit", len2: 5 << 30},
		{name: "5GiB-1", len2: 5<<30 - 1},
		{name: "48.8TB multipart limit", len2: 10000 * (5 << 30)},
		{name: "max int64", len2: math.MaxInt64},
	}
	crc1, crc2 := uint64(0x0123456789abcdef), uint64(0xfedcba9876543210)
	for _, tt := range tests {
		want := combineReference(crc1, crc2, tt.len2)
		assert.Equal(t, want, Combine(crc1, crc2, tt.len2), tt.name)
	}
}

func TestCombineIsAssociativeForHugeParts(t *testing.T) {
	t.Parallel()
	r := newRand(4)
	for range 200 {
		a, b, c := r.Uint64(), r.Uint64(), r.Uint64()
		lb, lc := r.Int64N(1<<46), r.Int64N(1<<46)
		left := Combine(Combine(a, b, lb), c, lc)
		right := Combine(a, Combine(b, c, lc), lb+lc)
		require.Equal(t, left, right, "lb=%d lc=%d", lb, lc)
	}
}

func TestCombineMatchesAppendingZeros(t *testing.T) {
	t.Parallel()
	// Appending n zero bytes to A must agree with Combine and the checksum
	// of those zeros, which ties the power table to real data.
	zeros := make([]byte, 100_003)
	crc1 := Checksum(randomBytes(t, 1000, 5))
	assert.Equal(t, Update(crc1, zeros), Combine(crc1, Checksum(zeros), int64(len(zeros))))
}

func TestCombineDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_ = Combine(1, 2, 10000*(5<<30))
	})
	assert.Zero(t, allocs)
}

func TestCombinePanicsOnNegativeLength(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { Combine(1, 2, -1) })
}
