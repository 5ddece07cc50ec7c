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

// kernelOnly is the vector path with the wide loop forced on or off,
// whatever the CPU prefers, for every input of 16 bytes or more.
func kernelOnly(crc uint64, p []byte, wide bool) uint64 {
	if len(p) < 16 {
		return updateGeneric(crc, p)
	}
	return updateVector(crc, p, wide)
}
