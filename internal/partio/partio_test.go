package partio

import (
	"bytes"
	"errors"
	"hash/crc64"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/osslimit"
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
		assert.LessOrEqual(t, Count(tt.size, got), osslimit.MaxParts)
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

func TestReadHead(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*mib/16)
	tests := []struct {
		name   string
		stream int
		limit  int64
		want   int
	}{
		{"empty", 0, 8*mib + 1, 0},
		{"small stream", 1000, 8*mib + 1, 1000},
		{"exactly the first buffer", 64 << 10, 8*mib + 1, 64 << 10},
		{"stream longer than the limit", 3 * mib, 2*mib + 1, 2*mib + 1},
		{"stream ends between steps", 3*mib - 5, 8*mib + 1, 3*mib - 5},
		{"tiny limit", 3 * mib, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []io.Reader{
				bytes.NewReader(data[:tt.stream]),
				iotest.HalfReader(bytes.NewReader(data[:tt.stream])), // short reads
			} {
				got, err := ReadHead(r, tt.limit)
				require.NoError(t, err)
				assert.Equal(t, data[:tt.want], got)
				if tt.want > mib {
					assert.LessOrEqual(t, int64(cap(got)), tt.limit, "a big head is one allocation of the limit")
				}
			}
		})
	}
}

func TestReadHeadReportsReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	_, err := ReadHead(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 100)
	assert.ErrorIs(t, err, boom)
}

func TestPoolSeedReplacesOneAllocation(t *testing.T) {
	t.Parallel()
	p := NewPool(2, 16)
	head := make([]byte, 17) // a head one byte longer than a part
	head[16] = 'x'
	assert.False(t, p.Seed(make([]byte, 8)), "a buffer smaller than a part is refused")
	require.True(t, p.Seed(head))
	done := make(chan struct{})
	first, second := p.Get(done), p.Get(done)
	assert.NotSame(t, &head[0], &first[0], "the seeded buffer comes last")
	assert.Same(t, &head[0], &second[0], "the seeded buffer is handed out")
	assert.Len(t, second, 16)
	copy(second, bytes.Repeat([]byte("y"), 16))
	assert.Equal(t, byte('x'), head[16], "bytes past the part stay untouched")
	assert.False(t, p.Seed(make([]byte, 16)), "no more slots to seed")
}

// TestMemBodyReadsAndWritesItsBuffer: a memory body gives the same bytes,
// CRC and progress whether the transport reads it or lets it write
// itself, and mixing both (net/http reads the first few KiB into its
// header buffer) still sends each byte once.
func TestMemBodyReadsAndWritesItsBuffer(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	want := crc64.Checksum(data, crc64.MakeTable(crc64.ECMA))
	for _, head := range []int{0, 1, 4000, len(data)} {
		c := &counter{}
		b := NewMemBody(data, c)
		require.True(t, b.InMemory())
		first := make([]byte, head)
		n, err := io.ReadFull(b, first)
		require.NoError(t, err)
		var out bytes.Buffer
		out.Write(first[:n])
		var sizes []int
		w := writerFunc(func(p []byte) (int, error) { sizes = append(sizes, len(p)); return out.Write(p) })
		m, err := b.WriteChunks(w, 7000)
		require.NoError(t, err)
		assert.EqualValues(t, len(data)-head, m)
		assert.Equal(t, data, out.Bytes(), "head %d", head)
		assert.Equal(t, want, b.CRC64())
		assert.EqualValues(t, len(data), b.BytesRead())
		assert.EqualValues(t, len(data), c.n.Load())
		assert.Zero(t, b.Len())
		for _, s := range sizes {
			assert.LessOrEqual(t, s, 7000)
		}
	}
	assert.False(t, NewBody(bytes.NewReader(data), 1, nil).InMemory())
	_, err := NewBody(bytes.NewReader(data), 1, nil).WriteChunks(io.Discard, 10)
	assert.Error(t, err, "a reader body cannot write itself")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestMemBodyShortWrite: the CRC and the count cover only what the
// writer took.
func TestMemBodyShortWrite(t *testing.T) {
	t.Parallel()
	data := []byte("0123456789")
	b := NewMemBody(data, nil)
	n, err := b.WriteChunks(writerFunc(func(p []byte) (int, error) { return 3, nil }), 8)
	require.ErrorIs(t, err, io.ErrShortWrite)
	assert.EqualValues(t, 3, n)
	assert.EqualValues(t, 3, b.BytesRead())
	assert.Equal(t, crc64.Checksum(data[:3], crc64.MakeTable(crc64.ECMA)), b.CRC64())
}

// TestReleaseWaitsForTheWriterAndStopsIt: Release returns only after a
// write that is using the body's memory has finished, and every later
// read or write of the body fails, so the caller may reuse the buffer.
func TestReleaseWaitsForTheWriterAndStopsIt(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("x"), 100)
	b := NewMemBody(data, nil)
	inWrite, finish := make(chan struct{}), make(chan struct{})
	var writing atomic.Bool
	done := make(chan error, 1)
	go func() {
		_, err := b.WriteChunks(writerFunc(func(p []byte) (int, error) {
			writing.Store(true)
			close(inWrite)
			<-finish
			writing.Store(false)
			return len(p) / 2, errors.New("peer gone")
		}), 64)
		done <- err
	}()
	<-inWrite
	released := make(chan struct{})
	go func() {
		b.Release()
		close(released)
	}()
	select {
	case <-released:
		t.Fatal("Release returned while a write was using the buffer")
	case <-time.After(50 * time.Millisecond):
	}
	close(finish)
	<-released
	assert.False(t, writing.Load())
	require.Error(t, <-done)
	_, err := b.Read(make([]byte, 10))
	assert.ErrorIs(t, err, ErrReleased)
	_, err = b.WriteChunks(io.Discard, 10)
	assert.ErrorIs(t, err, ErrReleased)

	r := NewBody(bytes.NewReader(data), int64(len(data)), nil)
	r.Release()
	_, err = r.Read(make([]byte, 10))
	assert.ErrorIs(t, err, ErrReleased)
}
