package emulator

import (
	"hash"
	"hash/crc64"
)

// newCRC64 returns the CRC64-ECMA hash OSS reports as x-oss-hash-crc64ecma.
// Every CRC in the emulator comes from here, so a faster implementation with
// the same hash.Hash64 API can be swapped in at one place.
func newCRC64() hash.Hash64 {
	return crc64.New(crc64.MakeTable(crc64.ECMA))
}

// crc64Combine returns the CRC64-ECMA of A followed by B, given crcA, crcB
// and len(B). It lets CompleteMultipartUpload report the object's CRC from
// the part CRCs without reading the parts again. This is zlib's
// crc32_combine (GF(2) matrix squaring) widened to 64 bits; it works because
// the pre- and post-inversion of the CRC cancel out in the XOR.
func crc64Combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [64]uint64
	// odd is the operator for one zero bit: shift right, XOR the
	// polynomial when the low bit falls out.
	odd[0] = crc64.ECMA
	row := uint64(1)
	for n := 1; n < 64; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	// Apply len(B) zero bytes to crcA, one bit of lenB per squaring.
	for {
		gf2Square(&even, &odd)
		if lenB&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		gf2Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func gf2Times(mat *[64]uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[64]uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}
