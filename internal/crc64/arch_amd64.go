//go:build amd64 && !purego

package crc64

// clmulMinLen is the shortest input the vector kernel takes: measured, it
// beats the byte-wise table walk (hash/crc64 below 64 bytes) from one block.
const clmulMinLen = 16

// hasCLMUL reports PCLMULQDQ support; set once at init, read-only after.
var hasCLMUL = cpuHasCLMUL()

// cpuHasCLMUL reports whether the CPU implements PCLMULQDQ (CPUID.1:ECX[1]).
// The kernel needs nothing beyond that and baseline SSE2.
func cpuHasCLMUL() bool

// hasWide reports AVX2 and VPCLMULQDQ with the OS saving YMM registers:
// the kernel then folds two lanes per instruction. Set once at init,
// read-only after.
var hasWide = hasCLMUL && cpuHasWide()

// cpuHasWide reports CPUID.7.0:EBX[5] (AVX2) and CPUID.7.0:ECX[10]
// (VPCLMULQDQ), with OSXSAVE and XCR0 enabling the SSE and AVX state.
func cpuHasWide() bool

// updateCLMUL returns the raw (un-inverted) CRC register after folding p
// into state. len(p) must be a non-zero multiple of 16. wide selects the
// 256-bit VPCLMULQDQ loop, which needs hasWide, for inputs of 256 bytes
// or more.
//
//go:noescape
func updateCLMUL(state uint64, p []byte, wide bool) uint64

func update(crc uint64, p []byte) uint64 {
	if !hasCLMUL || len(p) < clmulMinLen {
		return updateGeneric(crc, p)
	}
	return updateVector(crc, p, hasWide)
}

// kernelChunk bounds the bytes one assembly call folds. Assembly cannot be
// preempted, so an unbounded call over a multi-gigabyte buffer would stall
// garbage-collector pauses for the whole pass; 64 KiB takes microseconds
// and the per-call reduction costs well under 1% of it.
const kernelChunk = 64 << 10

// updateVector folds the 16-byte-aligned bulk of p with the kernel (its
// wide loop when wide) and the remaining tail with the table. len(p) must
// be at least 16.
func updateVector(crc uint64, p []byte, wide bool) uint64 {
	state := ^crc
	for len(p) >= kernelChunk {
		state = updateCLMUL(state, p[:kernelChunk], wide)
		p = p[kernelChunk:]
	}
	if n := len(p) &^ 15; n > 0 {
		state = updateCLMUL(state, p[:n], wide)
		p = p[n:]
	}
	return updateGeneric(^state, p)
}
