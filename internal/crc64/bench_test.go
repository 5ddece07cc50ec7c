package crc64

import (
	"fmt"
	"hash/crc64"
	"testing"
)

func BenchmarkCRC(b *testing.B) {
	// The standard library's table, then ours: the dispatcher ("dispatch",
	// what Update uses) and each kernel it may pick on this CPU.
	impls := []implementation{{name: "stdlib", fn: func(crc uint64, p []byte) uint64 { return crc64.Update(crc, ecmaTable, p) }}}
	for _, impl := range implementations() {
		if !impl.delegates {
			impls = append(impls, impl)
		}
	}
	sizes := []struct {
		name string
		n    int
	}{
		{"64B", 64},
		{"4KiB", 4 << 10},
		{"1MiB", 1 << 20},
		{"8MiB", 8 << 20},
	}
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			for _, size := range sizes {
				buf := randomBytes(b, size.n, int64(size.n))
				b.Run(size.name, func(b *testing.B) {
					b.SetBytes(int64(size.n))
					var crc uint64
					for b.Loop() {
						crc = impl.fn(crc, buf)
					}
					sink(b, crc)
				})
			}
		})
	}
}

// BenchmarkCombine measures joining per-part checksums of a 5 GiB part,
// the worst case an upload's final object check performs.
func BenchmarkCombine(b *testing.B) {
	var crc uint64
	for b.Loop() {
		crc = Combine(crc, 0x0123456789abcdef, 5<<30-1)
	}
	sink(b, crc)
}

// sink keeps the compiler from discarding the benchmarked result.
func sink(b *testing.B, crc uint64) {
	b.Helper()
	if crc == 1 {
		b.Log(fmt.Sprint(crc))
	}
}
