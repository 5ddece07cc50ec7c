package wire

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// A TLS record carries at most 16 KiB of plaintext; what a record adds
// (header, explicit nonce, tag, TLS 1.3's content type) is well under
// recordOverhead.
const (
	maxRecordPlaintext = 16 << 10
	recordOverhead     = 64
)

// batchSize is room for the records of one write of size plaintext bytes.
func batchSize(size int) int {
	records := (size + maxRecordPlaintext - 1) / maxRecordPlaintext
	return size + (records+1)*recordOverhead
}

// dialTLS connects, handshakes under the handshake timeout, and returns a
// connection whose ReadFrom sends each large write's records in one
// socket write.
func (d *dialer) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := d.net.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := d.tls
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			_ = raw.Close()
			return nil, err
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	bc := &batchConn{Conn: raw}
	tc := tls.Client(bc, cfg)
	hctx, cancel := context.WithTimeout(ctx, d.timeout)
	err = tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		_ = raw.Close()
		return nil, err
	}
	return &tlsConn{Conn: tc, raw: bc, bufs: d.reads, batches: d.batches}, nil
}

// tlsConn is a TLS connection whose ReadFrom collects the records of many
// pieces of the body and sends them in one socket write.
type tlsConn struct {
	*tls.Conn
	raw           *batchConn
	bufs, batches *bufPool
	sending       atomic.Bool // a ReadFrom is running
}

// ReadFrom reads r a piece at a time (the body checksums it), encrypts
// each piece with one tls.Conn.Write into records that batchConn collects,
// and sends the collected records whenever the next would not fit, so a
// socket write carries about a batch buffer's worth.
func (c *tlsConn) ReadFrom(r io.Reader) (n int64, err error) {
	c.sending.Store(true)
	defer c.sending.Store(false) // deferred first: runs after the last flush
	b := c.batches.get()
	defer c.batches.put(b)
	c.raw.begin(*b)
	defer func() {
		if eerr := c.raw.end(); err == nil {
			err = eerr
		}
	}()
	return send(r, c.bufs, c.bufs.size, c.Conn.Write)
}

// Close during a ReadFrom closes the socket at once, as tls.Conn.Close
// does while a Write is in progress: net/http closes a connection to break
// off a request (cancelled, or answered before its body was sent), and the
// last flush runs outside any tls.Conn.Write, so tls.Conn.Close would queue
// its close_notify alert behind that flush and wait up to the 5 s write
// deadline crypto/tls gives the alert.
func (c *tlsConn) Close() error {
	if c.sending.Load() {
		return c.raw.Conn.Close()
	}
	return c.Conn.Close()
}

// batchConn is the TCP connection under a tlsConn. While a batch is open
// it collects what TLS writes, one record per Write, and sends it all when
// flushed; otherwise (the handshake, request headers, alerts) writes go
// straight through. A mutex orders the collecting with writes TLS may make
// from the reading side (a TLS 1.3 KeyUpdate answer).
type batchConn struct {
	net.Conn
	mu    sync.Mutex
	batch []byte // nil: no batch open
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.batch == nil {
		return c.Conn.Write(p)
	}
	if len(c.batch)+len(p) > cap(c.batch) {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > cap(c.batch) {
			return c.Conn.Write(p)
		}
	}
	c.batch = append(c.batch, p...)
	return len(p), nil
}

// begin opens a batch collected in buf, which the caller keeps until end.
func (c *batchConn) begin(buf []byte) {
	c.mu.Lock()
	c.batch = buf[:0]
	c.mu.Unlock()
}

// end sends what the batch holds and closes it; the buffer is the
// caller's again.
func (c *batchConn) end() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.flushLocked()
	c.batch = nil
	return err
}

func (c *batchConn) flushLocked() error {
	if len(c.batch) == 0 {
		return nil
	}
	n, err := c.Conn.Write(c.batch)
	if err == nil && n < len(c.batch) {
		err = io.ErrShortWrite
	}
	c.batch = c.batch[:0]
	return err
}
