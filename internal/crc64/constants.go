package crc64

// Folding and reduction constants for the reflected ECMA-182 polynomial,
// used by the carry-less multiplication kernel. Each kN is x^N mod P,
// bit-reflected; carry-less products of reflected operands carry an extra
// factor of x, which is why the exponents are one less than the fold
// distance. constants_test.go derives every value from the polynomial, so a
// typo here fails the tests rather than corrupting checksums.
//
// The asm reads these through go_asm.h; keep the names in sync.
const (
	// Fold one 128-bit lane forward by 1024 bits (eight lanes of 16 bytes):
	// the low qword is multiplied by x^(1024+64) and the high by x^1024.
	k1087 = 0x8757d71d4fcc1000
	k1023 = 0xd7d86b2af73de740

	// Fold forward by 128 bits (one 16-byte block); k127 also lifts the
	// final 128-bit remainder by x^64 before the Barrett step.
	k191 = 0xe05dd497ca393ae4
	k127 = 0xdabe95afc7875f40

	// Barrett reduction of 128 bits to 64: mu is floor(x^127 / P) and
	// polyPrime is (P - 1) / x, both reflected; the shifted forms absorb the
	// extra x of each carry-less product, so no bit shifts are needed.
	mu        = 0x9c3e466c172963d5
	polyPrime = 0x92d8af2baf0e1e85
)
