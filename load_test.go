package vodupload

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vodupload/vodupload/internal/crc64"
	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

// gauge tracks a current value and its peak.
type gauge struct{ cur, peak atomic.Int64 }

func (g *gauge) add(d int64) {
	n := g.cur.Add(d)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// countedConn decrements the open-connection gauge once when closed.
type countedConn struct {
	net.Conn
	once  sync.Once
	gauge *gauge
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.gauge.add(-1) })
	return c.Conn.Close()
}

// countingTransport counts the OSS connections open and the requests on
// the wire.
type countingTransport struct {
	base     *http.Transport
	conns    gauge
	requests gauge
}

func newCountingTransport() *countingTransport {
	ct := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	ct.base.MaxIdleConnsPerHost = 64
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	ct.base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		ct.conns.add(1)
		return &countedConn{Conn: c, gauge: &ct.conns}, nil
	}
	return ct
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.requests.add(1)
	defer ct.requests.add(-1)
	return ct.base.RoundTrip(r)
}

// sampler records the peaks of the process's goroutines and, where
// /proc exists, its open sockets (both ends of every loopback connection,
// VOD calls included), until stop is called.
type sampler struct {
	goroutines, sockets atomic.Int64
	done                chan struct{}
	wg                  sync.WaitGroup
}

func startSampler() *sampler {
	s := &sampler{done: make(chan struct{})}
	s.wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			s.goroutines.Store(max(s.goroutines.Load(), int64(runtime.NumGoroutine())))
			if n%10 == 0 {
				s.sockets.Store(max(s.sockets.Load(), openSockets()))
			}
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	})
	return s
}

func (s *sampler) stop() { close(s.done); s.wg.Wait() }

// openSockets counts the process's socket descriptors; 0 without /proc.
func openSockets() int64 {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	var n int64
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}

// loadFile is one source of the load test.
type loadFile struct {
	path string
	crc  uint64
}

const (
	loadUploads     = 200
	loadMaxInFlight = 16
	loadConcurrency = 4
)

// TestLoadManyUploadsThroughOneUploaderStayBounded is not parallel: it
// counts the process's goroutines and checks that none is left.
func TestLoadManyUploadsThroughOneUploaderStayBounded(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	files := loadFiles(t, loadUploads)
	srv, err := emulator.New(emulator.Options{Storage: emulator.StorageDiscard,
		Faults: emulator.Faults{Seed: 3, Latency: time.Millisecond, LatencyJitter: 4 * time.Millisecond}})
	require.NoError(t, err)
	defer srv.Close()
	ct := newCountingTransport()
	hc := &http.Client{Transport: ct}
	defer ct.base.CloseIdleConnections()
	u, err := New(WithEndpoint(srv.URL), WithCredentials(StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)),
		WithRetry(8, 5*time.Millisecond, 100*time.Millisecond), WithHTTPClient(hc),
		WithMaxInFlightParts(loadMaxInFlight), WithConcurrency(loadConcurrency),
		WithPartSize(256<<10), WithMultipartThreshold(256<<10))
	require.NoError(t, err)
	defer u.vod.(*vodapi.Client).Close()

	base := int64(runtime.NumGoroutine())
	samples := startSampler()
	start := time.Now()
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() { errs[i] = uploadAndCheck(t.Context(), u, srv, f) })
	}
	wg.Wait()
	took := time.Since(start)
	samples.stop()

	failed := 0
	for i, err := range errs {
		if !assert.NoError(t, err, "upload %d", i) {
			failed++
		}
	}
	peak := samples.goroutines.Load() - base
	t.Logf("%d uploads (%d failed) in %s through one Uploader with MaxInFlightParts %d: peak %d OSS requests on the wire, "+
		"peak %d OSS connections open, peak %d goroutines above the %d before, peak %d sockets in the process "+
		"(client and server ends, VOD included)",
		len(files), failed, took.Round(time.Millisecond), loadMaxInFlight, ct.requests.peak.Load(), ct.conns.peak.Load(),
		peak, base, samples.sockets.Load())
	assert.LessOrEqual(t, ct.requests.peak.Load(), int64(loadMaxInFlight), "OSS requests in flight across all uploads")
	assert.LessOrEqual(t, ct.conns.peak.Load(), int64(2*loadMaxInFlight), "OSS connections open")
	// Each upload may hold its own goroutine, its workers and a VOD call's
	// goroutines and connection; nothing grows with the number of parts.
	assert.LessOrEqual(t, peak, int64(loadUploads*(loadConcurrency+6)), "goroutines")
}

// loadFiles writes n sources: three in four of ~50 KiB (one PutObject),
// the rest of 1-3 MiB (multipart with 256 KiB parts).
func loadFiles(t *testing.T, n int) []loadFile {
	t.Helper()
	dir := t.TempDir()
	files := make([]loadFile, n)
	for i := range files {
		size := int64(50<<10 + i)
		if i%4 == 3 {
			size = int64(mib + (i*7919)%(2*mib))
		}
		path := filepath.Join(dir, fmt.Sprintf("load-%03d.mp4", i))
		writeRandomFile(t, path, size, uint64(i))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		files[i] = loadFile{path: path, crc: crc64.Checksum(data)}
	}
	return files
}

// uploadAndCheck uploads f and checks the stored object's CRC64 (the
// emulator keeps no bytes here, to keep 200 uploads light).
func uploadAndCheck(ctx context.Context, u *Uploader, srv *emulator.Server, f loadFile) error {
	res, err := u.UploadVideo(ctx, FileSource(f.path), VideoMeta{Title: filepath.Base(f.path)})
	if err != nil {
		return err
	}
	_, crc, err := srv.ObjectInfo(res.Bucket, res.ObjectKey)
	switch {
	case err != nil:
		return err
	case crc != f.crc || res.CRC64 != f.crc:
		return fmt.Errorf("%s: stored CRC64 %d, reported %d, want %d", f.path, crc, res.CRC64, f.crc)
	}
	return nil
}
