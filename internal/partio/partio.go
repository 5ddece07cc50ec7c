// Package partio holds the engine's byte plumbing: the part plan, the
// request body that computes CRC64 and counts bytes as the HTTP transport
// reads it, and the bounded pool of part buffers for streams.
package partio

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/vodupload/vodupload/internal/crc64"
)

// OSS multipart limits.
const (
	MaxParts    = 10000
	MinPartSize = 100 << 10
	MaxPartSize = 5 << 30
)

// ErrTooLarge means the size cannot fit in MaxParts parts of MaxPartSize.
var ErrTooLarge = errors.New("does not fit in 10000 parts of at most 5 GiB")

// PartSize returns the part size for an object of size bytes: the
// configured size, grown in multiples of itself until the object fits in
// MaxParts parts (so part boundaries stay aligned to what the user chose).
// For an unknown size (-1) it returns the configured size.
func PartSize(size, configured int64) (int64, error) {
	if size <= int64(MaxParts)*configured {
		return configured, nil
	}
	per := int64(MaxParts) * configured
	mult := (size + per - 1) / per
	ps := configured * mult
	if ps > MaxPartSize {
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
type Body struct {
	r       io.Reader
	left    int64
	read    int64
	crc     uint64
	counter Counter
}

// NewBody wraps r, which must yield size bytes.
func NewBody(r io.Reader, size int64, c Counter) *Body {
	return &Body{r: r, left: size, counter: c}
}

func (b *Body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.crc = crc64.Update(b.crc, p[:n])
		b.left -= int64(n)
		b.read += int64(n)
		if b.counter != nil {
			b.counter.Add(int64(n))
		}
	}
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Len is the number of bytes still to be read.
func (b *Body) Len() int { return int(b.left) }

// CRC64 of the bytes read so far.
func (b *Body) CRC64() uint64 { return b.crc }

// BytesRead so far.
func (b *Body) BytesRead() int64 { return b.read }

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
