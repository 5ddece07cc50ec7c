package wire

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/partio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// recorder is a net.Conn that keeps what is written and the size of
// every write; failAfter, when positive, makes writes fail once that many
// bytes went through, and short makes every write take half of what it
// is given without saying why.
type recorder struct {
	net.Conn
	mu        sync.Mutex
	buf       bytes.Buffer
	writes    []int
	failAfter int
	short     bool
}

var errWire = errors.New("connection reset by test")

func (c *recorder) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	var err error
	if c.short {
		n = (n + 1) / 2
	}
	if c.failAfter > 0 && c.buf.Len()+n > c.failAfter {
		n, err = c.failAfter-c.buf.Len(), errWire
	}
	c.buf.Write(p[:n])
	c.writes = append(c.writes, n)
	return n, err
}

func (c *recorder) Close() error { return nil }

// body is what net/http hands ReadFrom: the engine's body under the
// Content-Length limit.
func body(data []byte, mem bool) (*partio.Body, *io.LimitedReader) {
	var b *partio.Body
	if mem {
		b = partio.NewMemBody(data, nil)
	} else {
		b = partio.NewBody(bytes.NewReader(data), int64(len(data)), nil)
	}
	return b, &io.LimitedReader{R: b, N: int64(len(data))}
}

// TestReadFromSendsEveryByteInLargeWrites: whatever the sizes, the peer
// gets the body byte for byte, the body's CRC64 is that of the bytes, and
// every write but the last is a full buffer.
func TestReadFromSendsEveryByteInLargeWrites(t *testing.T) {
	t.Parallel()
	const write, read = 64 << 10, 16 << 10
	for _, size := range []int{0, 1, read - 1, write - 1, write, write + 1, 3*write + 7} {
		for _, mem := range []bool{false, true} {
			data := randomBytes(size, uint64(size))
			rec := &recorder{}
			c := &conn{Conn: rec, bufs: newBufPool(write), piece: read}
			b, lr := body(data, mem)
			n, err := c.ReadFrom(lr)
			require.NoError(t, err)
			assert.EqualValues(t, size, n)
			assert.True(t, bytes.Equal(data, rec.buf.Bytes()), "size %d mem %v: bytes differ", size, mem)
			assert.Equal(t, crc64.Checksum(data), b.CRC64(), "size %d mem %v", size, mem)
			assert.Zero(t, lr.N, "the Content-Length limit is used up")
			for i, w := range rec.writes {
				if i < len(rec.writes)-1 {
					assert.Equal(t, write, w, "size %d mem %v: write %d of %v", size, mem, i, rec.writes)
				}
			}
			assert.Len(t, rec.writes, (size+write-1)/write, "size %d mem %v: %v", size, mem, rec.writes)
		}
	}
}

// TestReadFromShortAndFailedWrites: a write that fails, or takes less
// than it was given without an error, ends ReadFrom with an error and the
// count of bytes that really went out.
func TestReadFromShortAndFailedWrites(t *testing.T) {
	t.Parallel()
	data := randomBytes(200<<10, 1)
	for _, mem := range []bool{false, true} {
		rec := &recorder{failAfter: 100 << 10}
		c := &conn{Conn: rec, bufs: newBufPool(64 << 10), piece: 64 << 10}
		_, lr := body(data, mem)
		n, err := c.ReadFrom(lr)
		require.ErrorIs(t, err, errWire)
		assert.EqualValues(t, 100<<10, n)
		assert.True(t, bytes.Equal(data[:100<<10], rec.buf.Bytes()))

		rec = &recorder{short: true}
		c = &conn{Conn: rec, bufs: newBufPool(64 << 10), piece: 64 << 10}
		_, lr = body(data, mem)
		n, err = c.ReadFrom(lr)
		require.ErrorIs(t, err, io.ErrShortWrite)
		assert.EqualValues(t, 32<<10, n)
	}
}

// failingReader yields n bytes, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReadFromBodyErrorMidway: a body that fails after some bytes has
// those bytes sent and its error returned, as io.Copy does.
func TestReadFromBodyErrorMidway(t *testing.T) {
	t.Parallel()
	data := randomBytes(100<<10, 2)
	rec := &recorder{}
	c := &conn{Conn: rec, bufs: newBufPool(64 << 10), piece: 16 << 10}
	errBody := errors.New("disk on fire")
	b := partio.NewBody(&failingReader{data: data, err: errBody}, 1<<20, nil)
	n, err := c.ReadFrom(&io.LimitedReader{R: b, N: 1 << 20})
	require.ErrorIs(t, err, errBody)
	assert.EqualValues(t, len(data), n)
	assert.True(t, bytes.Equal(data, rec.buf.Bytes()))

	// A released body (its attempt ended) stops the copy too.
	b, lr := body(data, true)
	b.Release()
	_, err = c.ReadFrom(lr)
	require.ErrorIs(t, err, partio.ErrReleased)
}

// emptyReader never yields anything and never fails.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestReadFromRefusesAReaderThatNeverMoves(t *testing.T) {
	t.Parallel()
	c := &conn{Conn: &recorder{}, bufs: newBufPool(4 << 10), piece: 4 << 10}
	_, err := c.ReadFrom(emptyReader{})
	require.ErrorIs(t, err, io.ErrNoProgress)
}

// TestMemoryBodyLongerThanContentLength: a Chunked body never writes past
// the limit net/http set.
func TestMemoryBodyLongerThanContentLength(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := &conn{Conn: rec, bufs: newBufPool(4 << 10), piece: 4 << 10}
	b := partio.NewMemBody(randomBytes(10<<10, 3), nil)
	_, err := c.ReadFrom(&io.LimitedReader{R: b, N: 6 << 10})
	require.ErrorIs(t, err, errBodyTooLong)
	assert.Equal(t, 4<<10, rec.buf.Len(), "the first chunk fit; the second would not")
}

// TestReadFromKeepsNothing: once ReadFrom returns, the connection holds
// neither the body nor the bytes it sent, so a finished request's body
// can be collected (and a part buffer reused) while the connection lives
// on in the idle pool.
func TestReadFromKeepsNothing(t *testing.T) {
	for _, mem := range []bool{false, true} {
		c := &conn{Conn: &recorder{}, bufs: newBufPool(64 << 10), piece: 16 << 10}
		var collected atomic.Bool
		func() {
			b, lr := body(randomBytes(200<<10, 4), mem)
			runtime.AddCleanup(b, func(*atomic.Bool) { collected.Store(true) }, &collected)
			_, err := c.ReadFrom(lr)
			require.NoError(t, err)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for !collected.Load() && time.Now().Before(deadline) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		assert.True(t, collected.Load(), "mem %v: the body is still reachable after ReadFrom", mem)
		runtime.KeepAlive(c)
	}
}

// chunkedSpy is a memory body that records whether the connection let it
// write itself.
type chunkedSpy struct {
	*partio.Body
	chunks atomic.Int64
}

func (s *chunkedSpy) WriteChunks(w io.Writer, size int) (int64, error) {
	return s.Body.WriteChunks(writerFunc(func(p []byte) (int, error) {
		s.chunks.Add(1)
		return w.Write(p)
	}), size)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestNetHTTPReachesWriteChunks: a memory body given to net/http as the
// request body (as the OSS SDK passes an io.ReadCloser) reaches the
// connection under net/http's wrappers and is written from its own
// memory, not copied through the connection's buffer.
func TestNetHTTPReachesWriteChunks(t *testing.T) {
	t.Parallel()
	data := randomBytes(1<<20+3, 11)
	spy := &chunkedSpy{Body: partio.NewMemBody(data, nil)}
	assert.True(t, bytes.Equal(data, putPlain(t, Config{WriteSize: 64 << 10}, spy, len(data))))
	// net/http reads the first few KiB into its header buffer; the rest
	// leaves in 64 KiB chunks of the body's own memory.
	assert.InDelta(t, 17, spy.chunks.Load(), 1, "1 MiB + 3 in 64 KiB chunks after the header buffer's share")
}
