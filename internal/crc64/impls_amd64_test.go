//go:build amd64 && !purego

package crc64

// implementations lists the dispatcher, the table fallback and, when the CPU
// has PCLMULQDQ, the vector kernel forced on for every input of 16 bytes or
// more (the dispatcher would send short inputs to the table).
func implementations() []implementation {
	impls := []implementation{
		{name: "dispatch", fn: Update},
		{name: "generic", fn: updateGeneric, delegates: true},
	}
	if hasCLMUL {
		impls = append(impls, implementation{name: "clmul", fn: func(crc uint64, p []byte) uint64 {
			return kernelOnly(crc, p, false)
		}})
	}
	if hasWide {
		impls = append(impls, implementation{name: "vpclmul", fn: func(crc uint64, p []byte) uint64 {
			return kernelOnly(crc, p, true)
		}})
	}
	return impls
}

// kernelOnly runs updateVector's steps with the kernel's wide loop forced
// on or off, whatever the CPU prefers.
func kernelOnly(crc uint64, p []byte, wide bool) uint64 {
	if len(p) < 16 {
		return updateGeneric(crc, p)
	}
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
