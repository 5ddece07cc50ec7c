package partio

import (
	"bytes"
	"hash/crc64"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPartSize(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		size, configured, want int64
		err                    bool
	}{
		{size: 40 * mib, configured: mib, want: mib},
		{size: 10000 * mib, configured: mib, want: mib},
		{size: 10000*mib + 1, configured: mib, want: 2 * mib},
		{size: -1, configured: 8 * mib, want: 8 * mib},
		{size: 48 << 40, configured: 8 * mib, want: 5040 * mib}, // 48 TiB: 630 × 8 MiB
		{size: 49 << 40, configured: 8 * mib, err: true},
	}
	for _, tt := range tests {
		got, err := PartSize(tt.size, tt.configured)
		if tt.err {
			assert.ErrorIs(t, err, ErrTooLarge)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "size %d", tt.size)
		assert.LessOrEqual(t, Count(tt.size, got), MaxParts)
		assert.Zero(t, got%tt.configured)
	}
}

type counter struct{ n atomic.Int64 }

func (c *counter) Add(n int64) { c.n.Add(n) }

func TestBodyCountsAndChecksums(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("vodupload"), 10000)
	c := &counter{}
	b := NewBody(bytes.NewReader(data), int64(len(data)), c)
	assert.Equal(t, len(data), b.Len())
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	assert.Equal(t, crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)), b.CRC64())
	assert.EqualValues(t, len(data), c.n.Load())
	assert.Zero(t, b.Len())
}

func TestBodyStopsAtSizeAndReportsShortSource(t *testing.T) {
	t.Parallel()
	b := NewBody(strings.NewReader("abcdef"), 3, nil)
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(got))

	_, err = io.ReadAll(NewBody(strings.NewReader("ab"), 3, nil))
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestPoolBoundsBuffers(t *testing.T) {
	t.Parallel()
	p := NewPool(2, 16)
	done := make(chan struct{})
	a, b := p.Get(done), p.Get(done)
	require.Len(t, a, 16)
	require.Len(t, b, 16)
	got := make(chan []byte)
	go func() { got <- p.Get(done) }()
	select {
	case <-got:
		t.Fatal("a third buffer was handed out while two are in use")
	default:
	}
	p.Put(a)
	assert.Len(t, <-got, 16)
	close(done)
	assert.Nil(t, p.Get(done), "closed done releases a waiting Get")
}
