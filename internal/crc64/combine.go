package crc64

import "hash/crc64"

// Combine returns the checksum of A||B given crc1 = Checksum(A),
// crc2 = Checksum(B) and len2 = len(B), so per-part checksums of a multipart
// upload can be joined into the object's checksum without rereading data.
// It runs in O(log len2) time and does not allocate. It panics if len2 is
// negative.
//
// Because the CRC is linear, Checksum(A||B) = Checksum(A)*x^(8*len2) +
// Checksum(B) mod P; the pre- and post-inversion cancel out (zlib's
// crc32_combine uses the same identity).
func Combine(crc1, crc2 uint64, len2 int64) uint64 {
	if len2 < 0 {
		panic("crc64: Combine called with negative length")
	}
	return multModP(x8nModP(len2), crc1) ^ crc2
}

// Polynomials below are reflected like the CRC register: bit 63 is the
// coefficient of x^0, bit 0 that of x^63.
const (
	xPow0 = uint64(1) << 63
	xPow1 = uint64(1) << 62
)

// x2nTable[k] is x^(2^k) mod P. A byte length below 2^63 shifted by three
// to count bits needs k up to 65.
var x2nTable = makeX2nTable()

func makeX2nTable() [66]uint64 {
	var t [66]uint64
	p := xPow1
	for k := range t {
		t[k] = p
		p = multModP(p, p)
	}
	return t
}

// x8nModP returns x^(8n) mod P by multiplying the squares selected by the
// bits of n.
func x8nModP(n int64) uint64 {
	p := xPow0
	for k := 3; n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			p = multModP(x2nTable[k], p)
		}
	}
	return p
}

// multModP returns a*b mod P. It walks a from x^0 upwards while b is
// multiplied by x each step, stopping after a's highest-degree term.
func multModP(a, b uint64) uint64 {
	var p uint64
	for m := xPow0; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
			if a&(m-1) == 0 {
				break
			}
		}
		b = b>>1 ^ crc64.ECMA&-(b&1)
	}
	return p
}
