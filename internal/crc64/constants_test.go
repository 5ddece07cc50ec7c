package crc64

import (
	"hash/crc64"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/assert"
)

// ecmaNormal is the ECMA-182 polynomial without its x^64 term, in normal
// (non-reflected) bit order: bit i is the coefficient of x^i.
const ecmaNormal = 0x42f0e1eba9ea3693

// xnModPNormal returns x^n mod P in normal bit order by shifting one
// degree at a time: slow, obviously correct, independent of the code under
// test.
func xnModPNormal(n int) uint64 {
	v := uint64(1)
	for range n {
		carry := v >> 63
		v <<= 1
		v ^= ecmaNormal & -carry
	}
	return v
}

// quotientX127 returns floor(x^127 / P) in normal bit order by long
// division of x^127 (held as hi:lo) by P.
func quotientX127() uint64 {
	hi, lo := uint64(1)<<63, uint64(0)
	var q uint64
	for deg := 127; deg >= 64; deg-- {
		shift := deg - 64
		if hi>>shift&1 == 0 {
			continue
		}
		q |= 1 << shift
		hi ^= 1 << shift // the x^64 term of P, shifted
		lo ^= ecmaNormal << shift
		if shift > 0 {
			hi ^= ecmaNormal >> (64 - shift)
		}
	}
	return q
}

func TestFoldingConstantsDeriveFromPolynomial(t *testing.T) {
	t.Parallel()
	assert.Equal(t, uint64(crc64.ECMA), bits.Reverse64(ecmaNormal), "reflected polynomial")
	tests := []struct {
		name string
		got  uint64
		want uint64
	}{
		{name: "k1087", got: k1087, want: bits.Reverse64(xnModPNormal(1087))},
		{name: "k1023", got: k1023, want: bits.Reverse64(xnModPNormal(1023))},
		{name: "k191", got: k191, want: bits.Reverse64(xnModPNormal(191))},
		{name: "k127", got: k127, want: bits.Reverse64(xnModPNormal(127))},
		{name: "mu", got: mu, want: bits.Reverse64(quotientX127())},
		// (P - 1) / x reflected: the reflected polynomial shifted up one,
		// with the x^63 term (from P's x^64) landing in bit 0.
		{name: "polyPrime", got: polyPrime, want: bits.Reverse64(ecmaNormal)<<1 | 1},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.want, tt.got, "%s = %#016x", tt.name, tt.want)
	}
}
