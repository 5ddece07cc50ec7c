// Package partio holds the engine's byte plumbing: the part plan, the
// request body that computes CRC64 and counts bytes as the HTTP transport
// reads it (with the watchdog that abandons it when it stops moving), the
// bounded pool of part buffers for streams, and the read of a stream's
// head.
package partio

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/osslimit"
)

// ErrTooLarge means the size cannot fit in osslimit.MaxParts parts of osslimit.MaxPartSize.
var ErrTooLarge = errors.New("does not fit in 10000 parts of at most 5 GiB")

// PartSize returns the part size for an object of size bytes: the
// configured size, grown in multiples of itself until the object fits in
// osslimit.MaxParts parts (so part boundaries stay aligned to what the user chose).
// For an unknown size (-1) it returns the configured size.
func PartSize(size, configured int64) (int64, error) {
	if size <= int64(osslimit.MaxParts)*configured {
		return configured, nil
	}
	per := int64(osslimit.MaxParts) * configured
	mult := (size + per - 1) / per
	ps := configured * mult
	if ps > osslimit.MaxPartSize {
		return 0, fmt.Errorf("%d bytes %w", size, ErrTooLarge)
	}
	return ps, nil
}

// Count is the number of parts of partSize needed for size bytes.
func Count(size, partSize int64) int {
	return int((size + partSize - 1) / partSize)
}

// Counter receives the number of bytes the transport has read from a body.
type Counter interface{ Add(n int64) }

// Body is a request body for one attempt: it computes the CRC64 of exactly
// the bytes the transport reads (once), reports them to a Counter as they
// go, and exposes Len so the OSS SDK sends a Content-Length.
//
// A file part is read by the transport into its write buffer (pread: one
// copy), checksummed there while it is hot in cache, and written to the
// socket. Body deliberately does not offer the transport sendfile(2) (an
// *os.File it could unwrap): the kernel would then copy page cache to
// socket without us seeing the bytes, and the CRC64 OSS's answer is checked
// against would need a second pass over the file. Measured on loopback, a
// pread for the CRC plus sendfile, or an mmap for the CRC plus sendfile,
// cost more CPU per GiB than the single pread, CRC and write.
//
// A part already in memory (NewMemBody) is not copied into the transport's
// buffer: the transport's connection calls WriteChunks, which checksums a
// chunk of the part buffer and hands that very chunk to the socket.
//
// net/http may still be reading a body after the response arrived (a
// server that answers an error before reading the whole request): call
// Release once the attempt is over, before the bytes under the body are
// reused.
type Body struct {
	mu       sync.Mutex // held while bytes are taken, so Release can wait for it
	r        io.Reader  // nil for a memory body or once released
	mem      []byte     // the rest of a memory body
	inMemory bool
	released bool
	left     int64
	read     int64
	crc      uint64
	counter  Counter
	stall    *stallTimer // nil until Watch
}

// ErrReleased is what a body returns to a transport still reading it
// after the attempt it belonged to ended.
var ErrReleased = errors.New("request body read after its attempt ended")

// NewBody wraps r, which must yield size bytes.
func NewBody(r io.Reader, size int64, c Counter) *Body {
	return &Body{r: r, left: size, counter: c}
}

// NewMemBody is a body of the bytes of b, which must stay unchanged until
// Release.
func NewMemBody(b []byte, c Counter) *Body {
	return &Body{mem: b, inMemory: true, left: int64(len(b)), counter: c}
}

func (b *Body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.released:
		return 0, ErrReleased
	case b.left <= 0:
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	var n int
	var err error
	if b.inMemory {
		n = copy(p, b.mem)
		b.mem = b.mem[n:]
	} else {
		n, err = b.r.Read(p)
	}
	b.took(p[:n])
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// took accounts for bytes handed to the transport.
func (b *Body) took(p []byte) {
	if len(p) == 0 {
		return
	}
	b.crc = crc64.Update(b.crc, p)
	b.left -= int64(len(p))
	b.read += int64(len(p))
	if b.counter != nil {
		b.counter.Add(int64(len(p)))
	}
	b.stall.moved(b.left)
}

// InMemory reports whether b is a memory body, which WriteChunks sends.
func (b *Body) InMemory() bool { return b.inMemory }

// WriteChunks writes the rest of a memory body to w in writes of at most
// size bytes, each checksummed as it leaves.
func (b *Body) WriteChunks(w io.Writer, size int) (int64, error) {
	var n int64
	for {
		k, err := b.writeChunk(w, size)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// writeChunk writes the next chunk, holding the lock so Release waits for
// the write that is using the memory.
func (b *Body) writeChunk(w io.Writer, size int) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.released:
		return 0, ErrReleased
	case !b.inMemory:
		return 0, errors.New("WriteChunks of a body that is not in memory")
	case len(b.mem) == 0:
		return 0, io.EOF
	}
	chunk := b.mem[:min(size, len(b.mem))]
	n, err := w.Write(chunk)
	b.mem = b.mem[n:]
	// Checksummed right after the kernel copied it: still in cache.
	b.took(chunk[:n])
	if err == nil && n < len(chunk) {
		err = io.ErrShortWrite
	}
	return n, err
}

// Release ends the body: it waits for a read or write in progress, makes
// every later one fail with ErrReleased, and drops the reader or memory,
// which the caller may then reuse.
func (b *Body) Release() {
	b.mu.Lock()
	b.released, b.r, b.mem = true, nil, nil
	b.mu.Unlock()
}

// Close does nothing. It makes Body an io.ReadCloser, which the OSS SDK
// then hands to net/http as it is instead of under io.NopCloser, whose
// wrapper would hide WriteChunks from the connection. net/http closes a
// request body when it is done with it, possibly while another of its
// goroutines is still writing it; what ends a body is Release.
func (b *Body) Close() error { return nil }

// Len is the number of bytes still to be read.
func (b *Body) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.left)
}

// CRC64 of the bytes read so far.
func (b *Body) CRC64() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.crc
}

// BytesRead so far.
func (b *Body) BytesRead() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.read
}

// StallError ends an attempt whose body did not move for the watchdog's
// duration: the peer stopped reading. It is a timeout (a net.Error), so
// the attempt is retried.
type StallError struct{ After time.Duration }

func (e *StallError) Error() string {
	return fmt.Sprintf("upload stalled: no body progress for %s", e.After)
}

// Timeout reports true: a stall is a timeout.
func (e *StallError) Timeout() bool { return true }

// Temporary reports true: a new attempt may well move.
func (e *StallError) Temporary() bool { return true }

// Watch arms b's stall watchdog: the returned context is cancelled with a
// *StallError when no byte of b moves for d. The timer restarts with every
// read and stops once the whole body was taken: from then on the
// transport's response timeout applies, since the bytes may still be
// draining from socket buffers. Send the request under the returned
// context, then pass its error through done, which disarms the watchdog
// and turns the SDK's "context canceled" into the *StallError (retryable,
// where a cancellation is not) when the watchdog fired.
func (b *Body) Watch(ctx context.Context, d time.Duration) (context.Context, func(error) error) {
	ctx, cancel := context.WithCancelCause(ctx)
	stall := &StallError{After: d}
	b.stall = &stallTimer{d: d, t: time.AfterFunc(d, func() { cancel(stall) })}
	return ctx, func(err error) error {
		b.stall.t.Stop()
		fired := context.Cause(ctx) == error(stall)
		cancel(nil)
		if fired {
			return stall
		}
		return err
	}
}

// stallTimer is a Body's watchdog.
type stallTimer struct {
	d time.Duration
	t *time.Timer
}

// moved restarts the timer after bytes moved, or stops it when none are
// left to move.
func (s *stallTimer) moved(left int64) {
	switch {
	case s == nil:
	case left <= 0:
		s.t.Stop()
	default:
		s.t.Reset(s.d)
	}
}

// Pool hands out at most cap part buffers; Get blocks while all are in use,
// which is the engine's back-pressure on a fast stream.
type Pool struct {
	free chan []byte
	size int
}

// NewPool makes a pool of n buffers of size bytes, allocated lazily.
func NewPool(n int, size int) *Pool {
	p := &Pool{free: make(chan []byte, n), size: size}
	for range n {
		p.free <- nil
	}
	return p
}

// Get returns a buffer of the pool's size, waiting for one to be free, or
// nil when done is closed first.
func (p *Pool) Get(done <-chan struct{}) []byte {
	select {
	case b := <-p.free:
		if b == nil {
			b = make([]byte, p.size)
		}
		return b[:p.size]
	case <-done:
		return nil
	}
}

// Put returns a buffer.
func (p *Pool) Put(b []byte) { p.free <- b }

// Seed lends the pool b, if it can hold a part, in place of one buffer the
// pool would allocate: a stream's head, read before the upload knew it
// needed parts, then serves as a part buffer instead of lingering as
// garbage next to them. Call it before the first Get; it reports whether b
// was taken. b is handed out after every other buffer, as b[:size]: a
// caller still draining the head by then may read only b[size:], which no
// holder of a part buffer writes.
func (p *Pool) Seed(b []byte) bool {
	if cap(b) < p.size {
		return false
	}
	select {
	case <-p.free: // one of the lazily allocated buffers is not needed
		p.free <- b
		return true
	default:
		return false
	}
}

// Growth steps of ReadHead: small streams (images, M3U8 segments) get a
// small buffer; a stream that has filled headBig is a big one, so the next
// allocation is the whole limit rather than a series of doublings.
const (
	headFirst = 64 << 10
	headBig   = 1 << 20
)

// ReadHead reads up to limit bytes of r: the prefix that decides between one
// PutObject and a multipart upload. io.ReadAll would grow its buffer by
// append, leaving several times the final size behind as garbage; this
// allocates 64 KiB, 256 KiB, 1 MiB and then limit, so a multi-megabyte head
// costs about 1.3 MiB beyond itself. Reaching the end of r before limit is
// not an error.
func ReadHead(r io.Reader, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(limit, headFirst))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= limit {
				return buf, nil
			}
			next := int64(4 * cap(buf))
			if next > headBig {
				next = limit
			}
			buf = append(make([]byte, 0, min(next, limit)), buf...)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return nil, err
		}
	}
}

// Digest reads r to the end and returns the hex MD5 (which is what OSS
// reports as a part's ETag) and the CRC64 of its bytes, in one pass.
func Digest(r io.Reader) (md5hex string, crc uint64, err error) {
	h := md5.New()
	buf := make([]byte, 256<<10)
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			crc = crc64.Update(crc, buf[:n])
		}
		if rerr == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), crc, nil
		}
		if rerr != nil {
			return "", 0, rerr
		}
	}
}
