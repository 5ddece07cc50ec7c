package emulator

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"net"
	"net/http"

	"golang.org/x/time/rate"
)

// maxObjectSize is OSS's limit for one PutObject body and one part.
const maxObjectSize = 5 << 30

// errInjectedReset marks a body cut off by an injected connection reset;
// serveOSS answers it by resetting the connection.
var errInjectedReset = errors.New("emulator: injected connection reset")

// uploadBody returns the request body of PutObject or UploadPart as the
// stores should read it: rate-capped and reset when faults say so, and
// checked as OSS checks it. Checks that fail at the end of the body
// (IncompleteBody, InvalidDigest) surface as the read error, so a store
// never keeps a body OSS would reject.
func uploadBody(q *ossRequest) (io.Reader, error) {
	r := q.r
	if r.ContentLength > maxObjectSize {
		return nil, errEntityTooLarge()
	}
	body := &checkedBody{declared: r.ContentLength}
	if v := r.Header.Get("Content-MD5"); v != "" {
		sum, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(sum) != md5.Size {
			return nil, errInvalidDigest("0017-00000502")
		}
		body.md5, body.wantMD5 = md5.New(), sum
	}
	var src io.Reader = r.Body
	if q.faults.bandwidth > 0 {
		if c := connFaultsOf(r.Context()); c != nil {
			src = &throttledReader{ctx: r.Context(), r: src, lim: c.limiter(q.faults.bandwidth)}
		}
	}
	if q.faults.resetAfter > 0 {
		src = &resetReader{r: src, left: q.faults.resetAfter}
	}
	body.r = src
	return body, nil
}

// checkedBody enforces the declared length, the 5 GiB limit and
// Content-MD5 while the body streams.
type checkedBody struct {
	r        io.Reader
	declared int64 // Content-Length; -1 for a chunked body
	n        int64
	md5      hash.Hash // nil unless Content-MD5 was sent
	wantMD5  []byte
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.md5 != nil {
		b.md5.Write(p[:n])
	}
	switch {
	case b.n > maxObjectSize:
		return n, errEntityTooLarge()
	case err == io.EOF:
		return n, b.atEOF()
	case err != nil && !errors.Is(err, errInjectedReset):
		// The client went away or sent less than Content-Length.
		return n, errIncompleteBody()
	}
	return n, err
}

func (b *checkedBody) atEOF() error {
	if b.declared >= 0 && b.n < b.declared {
		return errIncompleteBody()
	}
	if b.md5 != nil && !bytes.Equal(b.md5.Sum(nil), b.wantMD5) {
		return errInvalidDigest("0017-00000503")
	}
	return io.EOF
}

// throttledReader caps a body's rate with the connection's limiter.
type throttledReader struct {
	ctx context.Context
	r   io.Reader
	lim *rate.Limiter
}

func (t *throttledReader) Read(p []byte) (int, error) {
	if b := t.lim.Burst(); len(p) > b {
		p = p[:b] // WaitN cannot wait for more than one bucket
	}
	n, err := t.r.Read(p)
	if n > 0 {
		if werr := t.lim.WaitN(t.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

// resetReader fails with errInjectedReset once left bytes have been read,
// or at the end of a shorter body, so nothing of it is ever stored.
type resetReader struct {
	r    io.Reader
	left int64
}

func (x *resetReader) Read(p []byte) (int, error) {
	if x.left <= 0 {
		return 0, errInjectedReset
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if err != nil || x.left <= 0 {
		return n, errInjectedReset
	}
	return n, nil
}

// resetConnection drops the client's connection with a TCP RST, the way a
// network fault would, without writing a response.
func resetConnection(w http.ResponseWriter, r *http.Request) {
	conn := hijackConn(w)
	if conn == nil {
		if c := connFaultsOf(r.Context()); c != nil {
			conn = c.conn
		}
	}
	if conn == nil {
		return
	}
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn() // reset the TCP connection under TLS
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST instead of FIN
	}
	_ = conn.Close()
}

func hijackConn(w http.ResponseWriter) net.Conn {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return nil
	}
	return conn
}
