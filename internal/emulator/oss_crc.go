package emulator

import "github.com/vodupload/vodupload/internal/crc64"

// crc64Combine returns the CRC64-ECMA of A followed by B, given crcA, crcB
// and len(B). It lets CompleteMultipartUpload report the object's CRC from
// the part CRCs without reading the parts again.
//
// Every CRC in the emulator comes from internal/crc64 (carry-less
// multiply) rather than hash/crc64: the emulator checksums every byte a
// benchmark uploads, and at hash/crc64's 1.5 GB/s per core the stand-in,
// not the client under test, would set the loopback speed.
func crc64Combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	return crc64.Combine(crcA, crcB, lenB)
}
