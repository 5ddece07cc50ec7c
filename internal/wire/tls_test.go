package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/partio"
)

// TestBatchConnCollectsAndFlushes: outside a batch writes go straight
// through; inside, they collect until the next would not fit, a write
// larger than the batch goes out on its own after what was collected, and
// end sends what is left.
func TestBatchConnCollectsAndFlushes(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := &batchConn{Conn: rec}
	_, err := c.Write(make([]byte, 10))
	require.NoError(t, err)
	buf := make([]byte, 100)
	c.begin(buf)
	for range 3 {
		n, err := c.Write(make([]byte, 40))
		require.NoError(t, err)
		assert.Equal(t, 40, n)
	}
	_, err = c.Write(make([]byte, 150))
	require.NoError(t, err)
	require.NoError(t, c.end())
	c.begin(buf)
	_, err = c.Write(make([]byte, 30))
	require.NoError(t, err)
	require.NoError(t, c.end())
	_, err = c.Write(make([]byte, 5))
	require.NoError(t, err)
	assert.Equal(t, []int{10, 80, 40, 150, 30, 5}, rec.writes)
	assert.Nil(t, c.batch, "end gives the buffer back")
}

func TestBatchConnReportsAFailedFlush(t *testing.T) {
	t.Parallel()
	c := &batchConn{Conn: &recorder{failAfter: 50}}
	c.begin(make([]byte, 100))
	_, err := c.Write(make([]byte, 60))
	require.NoError(t, err, "collected, not yet sent")
	require.ErrorIs(t, c.end(), errWire)
}

// tlsServer is an HTTPS test server that also offers HTTP/2, recording
// each request's protocol and body.
type tlsServer struct {
	*httptest.Server
	got chan request
}

type request struct {
	proto string
	body  []byte
}

func newTLSServer(t *testing.T) *tlsServer {
	t.Helper()
	s := &tlsServer{got: make(chan request, 10)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.got <- request{proto: r.Proto, body: b}
	}))
	s.EnableHTTP2 = true
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// TestTransportSendsOverHTTPSAndHTTP1: through net/http, a file-like body
// and a memory body arrive intact over TLS, over HTTP/1.1 although the
// server offers HTTP/2, and the body's CRC64 is that of the bytes. Each is
// handed to net/http as it is, as the OSS SDK hands it, so the memory body
// goes through WriteChunks into the TLS batch.
func TestTransportSendsOverHTTPSAndHTTP1(t *testing.T) {
	t.Parallel()
	srv := newTLSServer(t)
	tr := NewTransport(Config{WriteSize: 64 << 10, ReadSize: 16 << 10,
		TLS: &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}})
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for i, size := range []int{0, 5, 64<<10 + 3, 1<<20 + 17} {
		for _, mem := range []bool{false, true} {
			data := randomBytes(size, uint64(i))
			var b *partio.Body
			if mem {
				b = partio.NewMemBody(data, nil)
			} else {
				b = partio.NewBody(bytes.NewReader(data), int64(size), nil)
			}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, srv.URL, b)
			require.NoError(t, err)
			req.ContentLength = int64(size)
			resp, err := client.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, http.StatusOK, resp.StatusCode)
			got := <-srv.got
			assert.Equal(t, "HTTP/1.1", got.proto)
			assert.True(t, bytes.Equal(data, got.body), "size %d mem %v: bytes differ", size, mem)
			assert.Equal(t, crc64.Checksum(data), b.CRC64())
			b.Release()
		}
	}
}

// TestTransportOverPlainHTTP: the same through a plain connection.
func TestTransportOverPlainHTTP(t *testing.T) {
	t.Parallel()
	data := randomBytes(3<<20+1, 9)
	b := partio.NewBody(bytes.NewReader(data), int64(len(data)), nil)
	assert.True(t, bytes.Equal(data, putPlain(t, Config{}, io.NopCloser(b), len(data))))
	assert.Equal(t, crc64.Checksum(data), b.CRC64())
}

// putPlain sends body in a PUT through a transport of cfg to a plain
// HTTP server and returns what the server received.
func putPlain(t *testing.T, cfg Config, body io.ReadCloser, size int) []byte {
	t.Helper()
	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	t.Cleanup(srv.Close)
	tr := NewTransport(cfg)
	t.Cleanup(tr.CloseIdleConnections)
	req, err := http.NewRequest(http.MethodPut, srv.URL, body)
	require.NoError(t, err)
	req.ContentLength = int64(size)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return <-got
}

// TestTLSConfigIsTheCallers: the caller's configuration is cloned, not
// changed, and what the transport uses offers HTTP/1.1 only.
func TestTLSConfigIsTheCallers(t *testing.T) {
	t.Parallel()
	mine := &tls.Config{MinVersion: tls.VersionTLS13, NextProtos: []string{"h2", "http/1.1"}}
	tr := NewTransport(Config{TLS: mine})
	assert.Equal(t, []string{"h2", "http/1.1"}, mine.NextProtos)
	assert.False(t, mine.DynamicRecordSizingDisabled)
	assert.Equal(t, []string{"http/1.1"}, tr.TLSClientConfig.NextProtos)
	assert.True(t, tr.TLSClientConfig.DynamicRecordSizingDisabled)
	assert.EqualValues(t, tls.VersionTLS13, tr.TLSClientConfig.MinVersion)
	assert.False(t, tr.ForceAttemptHTTP2)
	assert.True(t, tr.Protocols.HTTP1())
	assert.False(t, tr.Protocols.HTTP2())
}

// countingConn counts the socket writes under a tlsConn.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestTLSReadFromBatchesRecords: a body sent through the TLS connection's
// ReadFrom leaves in socket writes of about WriteSize, not one per 16 KiB
// record, and arrives intact.
func TestTLSReadFromBatchesRecords(t *testing.T) {
	t.Parallel()
	srv := newTLSServer(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: srv.TLS.Certificates})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		_ = c.Close()
		got <- b
	}()
	const write, size = 256 << 10, 4<<20 + 5
	d := &dialer{net: &net.Dialer{}, timeout: 10 * time.Second, writes: newBufPool(write),
		reads: newBufPool(32 << 10), batches: newBufPool(batchSize(write)),
		tls: tlsConfig(&tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})}
	c, err := d.dialTLS(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	tc := c.(*tlsConn)
	counter := &countingConn{Conn: tc.raw.Conn}
	tc.raw.Conn = counter
	data := randomBytes(size, 5)
	b, lr := body(data, false)
	n, err := tc.ReadFrom(lr)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	assert.EqualValues(t, size, n)
	assert.True(t, bytes.Equal(data, <-got), "bytes differ after TLS")
	assert.Equal(t, crc64.Checksum(data), b.CRC64())
	records := (size + maxRecordPlaintext - 1) / maxRecordPlaintext
	// One write per batch of about write bytes, plus the close_notify alert.
	assert.LessOrEqual(t, counter.writes.Load(), int64(size/write+3), "socket writes for %d records", records)
}

// TestCloseBreaksOffTheLastFlush: net/http closes a connection to break
// off a request. While ReadFrom's last flush is blocked on a peer that
// stopped reading, Close closes the socket at once, as tls.Conn.Close
// does during a Write, instead of queueing its close_notify alert behind
// the flush and waiting out crypto/tls's 5 s deadline for it.
func TestCloseBreaksOffTheLastFlush(t *testing.T) {
	t.Parallel()
	srv := newTLSServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	peer := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- nil
			return
		}
		_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
		_ = tls.Server(c, &tls.Config{Certificates: srv.TLS.Certificates}).Handshake()
		peer <- c // and never read again
	}()
	const write = 256 << 10
	d := &dialer{net: &net.Dialer{}, timeout: 10 * time.Second, writes: newBufPool(write),
		reads: newBufPool(64 << 10), batches: newBufPool(batchSize(write)),
		tls: tlsConfig(&tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})}
	c, err := d.dialTLS(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	p := <-peer
	require.NotNil(t, p)
	t.Cleanup(func() { _ = p.Close() })
	tc := c.(*tlsConn)
	require.NoError(t, tc.raw.Conn.(*net.TCPConn).SetWriteBuffer(4<<10))
	counter := &countingConn{Conn: tc.raw.Conn}
	tc.raw.Conn = counter
	done := make(chan error, 1)
	go func() {
		// Less than a batch: no byte reaches the socket before the last
		// flush, which the peer's full buffers then block.
		const size = 200 << 10
		_, err := tc.ReadFrom(&io.LimitedReader{R: bytes.NewReader(make([]byte, size)), N: size})
		done <- err
	}()
	for counter.writes.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, c.Close())
	assert.ErrorIs(t, <-done, net.ErrClosed, "the flush was broken off, not left to time out")
}
