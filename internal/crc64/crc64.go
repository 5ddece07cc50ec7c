// Package crc64 computes CRC-64/ECMA-182 (reflected), the checksum OSS
// reports in x-oss-hash-crc64ecma, bit-for-bit equal to hash/crc64 with
// crc64.MakeTable(crc64.ECMA) but several times faster on amd64.
//
// Every upload byte is checksummed, so on a small upload server the table
// driven stdlib version (about 1.4 GB/s per core) would cap throughput.
// On amd64 with PCLMULQDQ the bulk of each buffer is folded with carry-less
// multiplication; other platforms, and builds tagged purego, use hash/crc64.
package crc64

import "hash/crc64"

// Size is the size of a CRC-64 checksum in bytes.
const Size = 8

// ecmaTable is hash/crc64's shared ECMA table; it is read-only after init.
var ecmaTable = crc64.MakeTable(crc64.ECMA)

// Update returns the result of adding the bytes in p to crc, exactly as
// crc64.Update(crc, crc64.MakeTable(crc64.ECMA), p) would.
func Update(crc uint64, p []byte) uint64 {
	return update(crc, p)
}

// Checksum returns the CRC-64/ECMA checksum of p.
func Checksum(p []byte) uint64 {
	return update(0, p)
}

// updateGeneric is the portable implementation: it backs other
// architectures, short inputs and the tails the vector kernel leaves over.
func updateGeneric(crc uint64, p []byte) uint64 {
	return crc64.Update(crc, ecmaTable, p)
}
