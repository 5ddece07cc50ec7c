package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testFile serves data like a static file server (ETag, ranges, If-Range),
// except that the first len(drops) responses die after drops[i] body
// bytes, and onRange, when set, answers every Range request instead.
type testFile struct {
	mu       sync.Mutex
	data     []byte
	etag     string
	chunked  bool
	drops    []int
	onRange  func(w http.ResponseWriter, r *http.Request)
	requests []http.Header
}

func newTestFile(data []byte, drops ...int) *testFile {
	return &testFile{data: data, etag: `"v1"`, drops: drops}
}

func (f *testFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Header.Clone())
	data, etag, hook, drop := f.data, f.etag, f.onRange, -1
	if len(f.drops) > 0 {
		drop, f.drops = f.drops[0], f.drops[1:]
	}
	f.mu.Unlock()
	from, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.Header.Get("Range"), "bytes="), "-"))
	switch {
	case hook != nil && from > 0:
		hook(w, r)
	case drop >= 0:
		f.serveAndDrop(w, data[from:], from, len(data), drop)
	case f.chunked && from == 0:
		w.Header().Set("ETag", etag)
		for chunk := range slices(data, 4096) {
			_, _ = w.Write(chunk)
			w.(http.Flusher).Flush()
		}
	default:
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	}
}

// serveAndDrop sends the head of the right response, n body bytes, then
// closes the connection, like a network failure mid-body.
func (f *testFile) serveAndDrop(w http.ResponseWriter, rest []byte, from, total, n int) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	status, framing := "200 OK", fmt.Sprintf("Content-Length: %d\r\n", len(rest))
	if from > 0 {
		status = "206 Partial Content"
		framing += fmt.Sprintf("Content-Range: bytes %d-%d/%d\r\n", from, total-1, total)
	}
	body := rest[:n]
	if f.chunked {
		framing = "Transfer-Encoding: chunked\r\n"
		body = fmt.Appendf(nil, "%x\r\n%s\r\n", n, rest[:n])
	}
	fmt.Fprintf(buf, "HTTP/1.1 %s\r\n%sETag: %s\r\nAccept-Ranges: bytes\r\n\r\n%s", status, framing, f.etag, body)
	_ = buf.Flush()
}

func (f *testFile) ranges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, h := range f.requests {
		out = append(out, h.Get("Range"))
	}
	return out
}

func slices(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewChaCha8([32]byte{7}))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// download opens u and reads it to the end, returning what it read even
// when the read fails.
func download(t *testing.T, ctx context.Context, u URL) (*Opened, []byte, error) {
	t.Helper()
	if u.RetryDelay == 0 {
		u.RetryDelay = time.Millisecond
	}
	o, err := u.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { _ = o.Close() })
	got, err := io.ReadAll(o.Stream)
	return o, got, err
}

func TestURLDownloadsExactBytes(t *testing.T) {
	t.Parallel()
	data := randomBytes(200 << 10)
	sameETagFull := func(w http.ResponseWriter, r *http.Request) {
		// Ignores Range, but its ETag proves the file is the same.
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write(data)
	}
	var busy sync.Once
	busyOnce := func(w http.ResponseWriter, r *http.Request) {
		answered := false
		busy.Do(func() {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			answered = true
		})
		if !answered {
			w.Header().Set("ETag", `"v1"`)
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
		}
	}
	tests := []struct {
		name       string
		chunked    bool
		drops      []int
		onRange    func(http.ResponseWriter, *http.Request)
		wantSize   int64
		wantRanges []string
	}{
		{name: "whole", wantSize: int64(len(data)), wantRanges: []string{""}},
		{name: "unknown size", chunked: true, wantSize: -1, wantRanges: []string{""}},
		{
			name: "dropped twice", drops: []int{10000, 30000}, wantSize: int64(len(data)),
			wantRanges: []string{"", "bytes=10000-", "bytes=40000-"},
		},
		{
			name: "unknown size dropped", chunked: true, drops: []int{5000}, wantSize: -1,
			wantRanges: []string{"", "bytes=5000-"},
		},
		{
			name: "resume meets a 503", drops: []int{5000}, onRange: busyOnce,
			wantSize: int64(len(data)), wantRanges: []string{"", "bytes=5000-", "bytes=5000-"},
		},
		{
			name: "range ignored, same etag", drops: []int{5000}, onRange: sameETagFull,
			wantSize: int64(len(data)), wantRanges: []string{"", "bytes=5000-"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFile(data, tt.drops...)
			f.chunked, f.onRange = tt.chunked, tt.onRange
			srv := serve(t, f)
			o, got, err := download(t, context.Background(), URL{URL: srv.URL + "/v/clip.mp4"})
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got), "bytes differ: got %d of %d", len(got), len(data))
			assert.Equal(t, tt.wantSize, o.Size)
			assert.Equal(t, "clip.mp4", o.Name)
			assert.Nil(t, o.At)
			assert.Equal(t, tt.wantRanges, f.ranges())
			for i, h := range f.requests {
				assert.Equal(t, "identity", h.Get("Accept-Encoding"))
				if i > 0 {
					assert.Equal(t, `"v1"`, h.Get("If-Range"))
				}
			}
		})
	}
}

func TestURLRejectsBadResumes(t *testing.T) {
	t.Parallel()
	data := randomBytes(64 << 10)
	const dropAt = 1000
	changed := append([]byte("CHANGED"), data[7:]...)
	tests := []struct {
		name     string
		onRange  func(w http.ResponseWriter, r *http.Request)
		noRanges bool
		want     error
	}{
		{"wrong content range", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data)))
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write(data)
		}, false, ErrBadContentRange},
		{"changed, if-range honoured", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v2"`)
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(changed))
		}, false, ErrSourceChanged},
		{"changed, if-range ignored", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v2"`)
			r.Header.Del("If-Range")
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(changed))
		}, false, ErrSourceChanged},
		{"shrank", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		}, false, ErrSourceChanged},
		{"no range support", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(data)
		}, false, ErrRangeUnsupported},
		{"accept-ranges none", nil, true, ErrRangeUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTestFile(data, dropAt)
			f.onRange = tt.onRange
			h := http.Handler(f)
			if tt.noRanges {
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					conn, buf, _ := w.(http.Hijacker).Hijack()
					defer conn.Close()
					fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nAccept-Ranges: none\r\n\r\n%s", len(data), data[:dropAt])
					_ = buf.Flush()
				})
			}
			srv := serve(t, h)
			_, got, err := download(t, context.Background(), URL{URL: srv.URL + "/a.mp4"})
			require.ErrorIs(t, err, tt.want)
			// The consumer saw only true bytes, never a splice of two files.
			assert.Equal(t, data[:dropAt], got)
		})
	}
}

func TestURLGivesUpAfterMaxRetries(t *testing.T) {
	t.Parallel()
	data := randomBytes(8 << 10)
	f := newTestFile(data, 100, 0, 0, 0, 0, 0)
	srv := serve(t, f)
	_, got, err := download(t, context.Background(), URL{URL: srv.URL + "/a.mp4", MaxRetries: 3})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, data[:100], got)
	assert.Len(t, f.ranges(), 4, "one GET and three resumes")
}

func TestURLStatusErrorHidesSecrets(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusNotFound, http.StatusForbidden, http.StatusInternalServerError} {
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", code)
		}))
		raw := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/a.mp4?Signature=s3cr3t#frag"
		u := URL{URL: raw}
		_, err := u.Open(context.Background())
		var he *HTTPStatusError
		require.ErrorAs(t, err, &he, code)
		assert.Equal(t, code, he.StatusCode)
		assert.Equal(t, srv.URL+"/a.mp4", he.URL)
		for _, text := range []string{err.Error(), u.String()} {
			assert.NotContains(t, text, "hunter2")
			assert.NotContains(t, text, "s3cr3t")
		}
	}
}

func TestURLRedirectLoop(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop?token=s3cr3t", http.StatusFound)
	}))
	for _, client := range []*http.Client{nil, {}} {
		_, err := URL{URL: srv.URL + "/a.mp4", Client: client}.Open(context.Background())
		require.ErrorIs(t, err, ErrTooManyRedirects)
		assert.NotContains(t, err.Error(), "s3cr3t")
	}
}

func TestURLName(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/download" {
			http.Redirect(w, r, "/files/real.mov?sig=x", http.StatusFound)
			return
		}
		if cd := r.URL.Query().Get("cd"); cd != "" {
			w.Header().Set("Content-Disposition", cd)
		}
		_, _ = w.Write([]byte("data"))
	}))
	tests := []struct {
		name, path, explicit, want string
	}{
		{"explicit wins", "/a.mp4?cd=attachment%3B+filename%3Db.mp4", "mine.flv", "mine.flv"},
		{"disposition", "/a.mp4?cd=attachment%3B+filename%3D%22clip+1.mp4%22", "", "clip 1.mp4"},
		{"rfc 5987", "/a?cd=attachment%3B+filename%3Dx.mp4%3B+filename*%3DUTF-8%27%27%25E8%25A7%2586%25E9%25A2%2591.mp4", "", "视频.mp4"},
		{"no directories", "/a?cd=attachment%3B+filename%3D%22..%2F..%2Fetc%2Fx.mp4%22", "", "x.mp4"},
		{"bad disposition", "/a.mp4?cd=%3B%3B%3D", "", "a.mp4"},
		{"escaped path", "/dir/my%20video.mkv", "", "my video.mkv"},
		{"after redirect", "/download", "", "real.mov"},
		{"nothing", "/", "", ""},
	}
	for _, tt := range tests {
		o, _, err := download(t, context.Background(), URL{URL: srv.URL + tt.path, Name: tt.explicit})
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, o.Name, tt.name)
	}
}

func TestURLRejectsUnusableInput(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gz" {
			w.Header().Set("Content-Encoding", "gzip")
		}
		_, _ = w.Write(nil)
	}))
	tests := []struct {
		url  string
		want error
	}{
		{"ftp://user:s3cr3t@host/a.mp4", ErrInvalidURL},
		{"http://[::1/a.mp4?s3cr3t", ErrInvalidURL},
		{"/relative.mp4", ErrInvalidURL},
		{srv.URL + "/empty.mp4", ErrEmpty},
		{srv.URL + "/gz", ErrContentEncoded},
	}
	for _, tt := range tests {
		_, err := URL{URL: tt.url}.Open(context.Background())
		require.ErrorIs(t, err, tt.want, tt.url)
		assert.NotContains(t, err.Error(), "s3cr3t")
	}
}

func TestURLHonoursContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		select { // a stalled server
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithCancel(context.Background())
	o, err := URL{URL: srv.URL + "/a.mp4"}.Open(ctx)
	require.NoError(t, err)
	defer o.Close()
	_, err = io.ReadFull(o.Stream, make([]byte, 1000))
	require.NoError(t, err)
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err = io.ReadAll(o.Stream)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), time.Second)

	_, err = URL{URL: srv.URL + "/a.mp4"}.Open(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestURLCloseEndsReads(t *testing.T) {
	t.Parallel()
	srv := serve(t, newTestFile(randomBytes(64<<10)))
	o, err := URL{URL: srv.URL + "/a.mp4"}.Open(context.Background())
	require.NoError(t, err)
	_, err = io.ReadFull(o.Stream, make([]byte, 10))
	require.NoError(t, err)
	require.NoError(t, o.Close())
	_, err = io.ReadAll(o.Stream)
	assert.ErrorIs(t, err, ErrClosed)
}

func TestURLCloseUnblocksARead(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write(make([]byte, 10))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	o, err := URL{URL: srv.URL + "/a.mp4"}.Open(context.Background())
	require.NoError(t, err)
	_, err = io.ReadFull(o.Stream, make([]byte, 10))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := o.Stream.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, o.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, ErrClosed)
	case <-time.After(2 * time.Second):
		t.Fatal("read still blocked after close")
	}
}

// Not parallel: it points TMPDIR at an empty directory for the whole process.
func TestURLWritesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	require.Equal(t, dir, os.TempDir())
	data := randomBytes(128 << 10)
	srv := serve(t, newTestFile(data, 20000))
	_, got, err := download(t, context.Background(), URL{URL: srv.URL + "/a.mp4"})
	require.NoError(t, err)
	assert.Equal(t, data, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"https://cdn.example.com/a/b.mp4":                         "https://cdn.example.com/a/b.mp4",
		"https://u:p@cdn.example.com/b.mp4?Expires=1&Signature=x": "https://cdn.example.com/b.mp4",
		"https://cdn.example.com/b.mp4?#frag":                     "https://cdn.example.com/b.mp4",
		"http://[::1/x?sig":                                       "(unparsable url)",
	}
	for in, want := range tests {
		assert.Equal(t, want, redactURL(in), in)
	}
}

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in           string
		first, total int64
		ok           bool
	}{
		{"bytes 100-199/1000", 100, 1000, true},
		{"bytes 0-0/1", 0, 1, true},
		{"bytes 5-9/*", 5, -1, true},
		{"bytes 5-9/9", 0, 0, false},
		{"bytes 9-5/20", 0, 0, false},
		{"bytes -5-9/20", 0, 0, false},
		{"bytes */20", 0, 0, false},
		{"items 0-1/2", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		first, total, err := parseContentRange(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, []int64{tt.first, tt.total}, []int64{first, total}, tt.in)
	}
}
