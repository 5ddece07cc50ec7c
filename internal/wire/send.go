package wire

import (
	"errors"
	"io"
	"net"
)

// Chunked is a request body whose bytes are already in memory (a part
// buffer of a stream). The connection lets it write itself instead of
// copying it into a buffer first.
type Chunked interface {
	// InMemory reports whether WriteChunks can send the body.
	InMemory() bool
	// WriteChunks writes the rest of the body to w, in writes of at most
	// size bytes each.
	WriteChunks(w io.Writer, size int) (int64, error)
}

// conn is a TCP connection whose ReadFrom sends in large writes.
type conn struct {
	net.Conn
	bufs  *bufPool // one write's worth
	piece int      // bytes per read from the body
}

// ReadFrom sends r in writes of up to the pool's buffer size, read in
// pieces. net/http calls it with the request body under an
// *io.LimitedReader of the Content-Length.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	return send(r, c.bufs, c.piece, c.Conn.Write)
}

// maxEmptyReads bounds reads that return neither bytes nor an error, as
// bufio does, so a broken reader cannot spin forever.
const maxEmptyReads = 100

// send copies r to write: from a Chunked body's own memory when it has
// it, otherwise through one pooled buffer, filled as far as r allows
// before each write, piece bytes per read: the body checksums each piece
// as it reads it, while the piece is still in the core's cache, and the
// write then takes them all at once. The buffer goes back to the pool
// before send returns; neither it nor r is kept.
func send(r io.Reader, bufs *bufPool, piece int, write func([]byte) (int, error)) (int64, error) {
	if n, err, ok := sendChunked(r, bufs.size, write); ok {
		return n, err
	}
	b := bufs.get()
	defer bufs.put(b)
	buf := *b
	var n int64
	for {
		k, rerr := fill(r, buf, piece)
		if k > 0 {
			w, werr := write(buf[:k])
			n += int64(w)
			if werr == nil && w < k {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return n, werr
			}
		}
		switch {
		case rerr == io.EOF:
			return n, nil
		case rerr != nil:
			return n, rerr
		}
	}
}

// fill reads r into buf, at most piece bytes per Read, until buf is full
// or r returns an error; it returns io.EOF only at the end of r.
func fill(r io.Reader, buf []byte, piece int) (int, error) {
	n, empty := 0, 0
	for n < len(buf) {
		k, err := r.Read(buf[n:min(n+piece, len(buf))])
		n += k
		if err != nil {
			return n, err
		}
		if k > 0 {
			empty = 0
			continue
		}
		if empty++; empty >= maxEmptyReads {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}

// sendChunked lets a Chunked body under net/http's *io.LimitedReader
// write itself, keeping the limit's count right. ok is false when r is no
// such body.
func sendChunked(r io.Reader, size int, write func([]byte) (int, error)) (n int64, err error, ok bool) {
	lr, isLimited := r.(*io.LimitedReader)
	if !isLimited {
		return 0, nil, false
	}
	body, isChunked := lr.R.(Chunked)
	if !isChunked || !body.InMemory() {
		return 0, nil, false
	}
	w := &limitWriter{write: write, left: lr.N}
	n, err = body.WriteChunks(w, size)
	lr.N -= n
	return n, err, true
}

// errBodyTooLong means a Chunked body had more bytes than the request's
// Content-Length.
var errBodyTooLong = errors.New("wire: request body longer than its Content-Length")

// limitWriter passes writes on up to a limit.
type limitWriter struct {
	write func([]byte) (int, error)
	left  int64
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > w.left {
		return 0, errBodyTooLong
	}
	n, err := w.write(p)
	w.left -= int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}
