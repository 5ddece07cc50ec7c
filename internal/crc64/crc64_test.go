package crc64

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateMatchesStdlibForEveryLengthAndAlignment(t *testing.T) {
	t.Parallel()
	const maxLen, maxOffset = 4096, 15
	buf := randomBytes(t, maxLen+maxOffset, 1)
	for _, impl := range implementations() {
		if impl.delegates {
			continue
		}
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			for off := 0; off <= maxOffset; off++ {
				// Build the expected values incrementally so the reference
				// costs O(maxLen) per offset rather than O(maxLen^2).
				init := uint64(off+1) * 0x9e3779b97f4a7c15
				want := init
				for n := 0; n <= maxLen; n++ {
					if n > 0 {
						want = stdlib(want, buf[off+n-1:off+n])
					}
					got := impl.fn(init, buf[off:off+n])
					if got != want {
						require.Equalf(t, want, got, "offset %d length %d", off, n)
					}
				}
			}
		})
	}
}

func TestUpdateChainedAcrossSplits(t *testing.T) {
	t.Parallel()
	buf := randomBytes(t, 64<<10, 2)
	want := stdlib(0, buf)
	for _, impl := range implementations() {
		if impl.delegates {
			continue
		}
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			r := newRand(2)
			for trial := range 200 {
				crc, rest := uint64(0), buf
				for len(rest) > 0 {
					// Mix tiny pieces with ones long enough for the kernel.
					n := min(len(rest), r.IntN(1<<(1+r.IntN(14))))
					crc = impl.fn(crc, rest[:n])
					rest = rest[n:]
				}
				require.Equalf(t, want, crc, "trial %d", trial)
			}
		})
	}
}

func TestUpdateLargeBuffers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
	}{
		{name: "1MiB", size: 1 << 20},
		{name: "17MiB+3", size: 17<<20 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			buf := randomBytes(t, tt.size, int64(tt.size))
			want := stdlib(0, buf)
			for _, impl := range implementations() {
				if !impl.delegates {
					assert.Equal(t, want, impl.fn(0, buf), impl.name)
				}
			}
			assert.Equal(t, want, Checksum(buf))
		})
	}
}

func TestChecksumKnownValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want uint64
	}{
		// CRC-64/XZ catalogue check value (same algorithm as OSS's crc64ecma).
		{in: "123456789", want: 0x995dc9bbdf1939fa},
		{in: "", want: 0},
	}
	for _, tt := range tests {
		assert.Equalf(t, tt.want, Checksum([]byte(tt.in)), "Checksum(%q)", tt.in)
	}
}
