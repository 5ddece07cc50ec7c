// Package wire builds the HTTP transport OSS requests go out on, whose
// connections send a request body in large socket writes.
//
// net/http hands a body of known length to its connection's ReadFrom
// (bufio.Writer.ReadFrom → persistConnWriter.ReadFrom → io.Copy). A
// *net.TCPConn answers that with io.Copy's 32 KiB buffer, and a *tls.Conn,
// which has no ReadFrom, gets the same 32 KiB writes, each cut into 16 KiB
// records and every record written to the socket on its own. On loopback
// the per-write cost (system call, socket wake-up of the reader) is a third
// of what a checksummed upload costs the sender, so the connections here
// implement ReadFrom with a pooled buffer of Config.WriteSize: one read
// from the body (the body computes its CRC64 as it is read), one write. Over
// TLS the records of one large tls.Conn.Write are collected under the
// tls.Conn and leave in one socket write too.
//
// A body that already holds its bytes in memory (Chunked) is sent from that
// memory, with no copy into the buffer at all.
//
// The transport speaks HTTP/1.1 only: OSS clients upload over HTTP/1.1,
// one request per connection at a time, so concurrent parts go over
// separate TCP connections with congestion windows of their own; and a
// connection of ours over TLS is not a *tls.Conn, which net/http would need
// to negotiate HTTP/2.
package wire

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultWriteSize is the largest socket write of a request body.
// Measured on loopback (the README's write-size table), CPU per GiB falls
// steeply from 32 KiB to 256 KiB and not measurably beyond, while every
// request in flight holds a buffer of this size: at 256 KiB four parts in
// flight cost 1 MiB, and the process's peak RSS stays at that of the OSS
// SDK's own uploader.
const DefaultWriteSize = 256 << 10

// DefaultTLSReadSize is how much of a body a TLS connection reads and
// encrypts at a time when Config.ReadSize is not set. The records of
// several reads collect into one socket write of WriteSize, so the read
// size decides only the plaintext buffer, which TLS copies from anyway.
const DefaultTLSReadSize = 64 << 10

// Defaults of Config's timeouts, those of http.DefaultTransport.
const (
	DefaultDialTimeout         = 10 * time.Second
	DefaultKeepAlive           = 30 * time.Second
	DefaultTLSHandshakeTimeout = 10 * time.Second
)

// Config shapes the transport. The zero value is ready to use.
type Config struct {
	// WriteSize is the largest socket write of a request body; 0 means
	// DefaultWriteSize.
	WriteSize int
	// ReadSize is the largest read from a request body, at most
	// WriteSize; 0 means WriteSize over plain TCP and DefaultTLSReadSize
	// over TLS.
	ReadSize int
	// TLS is the client's TLS configuration (trusted roots, minimum
	// version); nil means the system's roots. It is cloned, and HTTP/1.1 is
	// the only protocol offered.
	TLS *tls.Config
	// DialTimeout, KeepAlive and TLSHandshakeTimeout default to
	// DefaultDialTimeout, DefaultKeepAlive and DefaultTLSHandshakeTimeout.
	DialTimeout, KeepAlive, TLSHandshakeTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.WriteSize <= 0 {
		c.WriteSize = DefaultWriteSize
	}
	if c.ReadSize > 0 {
		c.ReadSize = min(c.ReadSize, c.WriteSize)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.TLSHandshakeTimeout <= 0 {
		c.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	return c
}

// NewTransport returns a clone of http.DefaultTransport (proxy from the
// environment, idle timeouts) whose connections send bodies in large
// writes, over HTTP/1.1 only.
func NewTransport(c Config) *http.Transport {
	c = c.withDefaults()
	piece, tlsRead := c.WriteSize, min(DefaultTLSReadSize, c.WriteSize)
	if c.ReadSize > 0 {
		piece, tlsRead = c.ReadSize, c.ReadSize
	}
	d := &dialer{
		net:     &net.Dialer{Timeout: c.DialTimeout, KeepAlive: c.KeepAlive},
		tls:     tlsConfig(c.TLS),
		timeout: c.TLSHandshakeTimeout,
		writes:  newBufPool(c.WriteSize),
		piece:   piece,
		reads:   newBufPool(tlsRead),
		batches: newBufPool(batchSize(c.WriteSize)),
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.dial
	tr.DialTLSContext = d.dialTLS
	// Through a proxy, net/http dials with DialContext and adds TLS itself
	// with TLSClientConfig: the same configuration, so both paths trust
	// and offer the same.
	tr.TLSClientConfig = d.tls
	tr.TLSHandshakeTimeout = c.TLSHandshakeTimeout
	tr.ForceAttemptHTTP2 = false
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP1(true)
	return tr
}

// tlsConfig is the client's configuration for every connection: HTTP/1.1
// in ALPN, and full-size records from the first byte. Dynamic record
// sizing starts a connection with packet-sized records so a browser can
// render the first bytes early; an upload gains nothing from it.
func tlsConfig(base *tls.Config) *tls.Config {
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	c.NextProtos = []string{"http/1.1"}
	c.DynamicRecordSizingDisabled = true
	return c
}

// dialer makes the transport's connections and owns their buffers.
type dialer struct {
	net     *net.Dialer
	tls     *tls.Config
	timeout time.Duration // TLS handshake
	writes  *bufPool      // body bytes read for one write
	piece   int           // largest read into writes' buffers
	reads   *bufPool      // body bytes read for one TLS write
	batches *bufPool      // TLS records collected for one socket write
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.net.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, bufs: d.writes, piece: d.piece}, nil
}

// bufPool recycles buffers of one size. A sync.Pool, so buffers an idle
// Uploader no longer uses are collected rather than held forever.
type bufPool struct {
	size int
	pool sync.Pool
}

func newBufPool(size int) *bufPool {
	p := &bufPool{size: size}
	p.pool.New = func() any {
		b := make([]byte, size)
		return &b
	}
	return p
}

func (p *bufPool) get() *[]byte  { return p.pool.Get().(*[]byte) }
func (p *bufPool) put(b *[]byte) { p.pool.Put(b) }
