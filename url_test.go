package vodupload

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
)

// flakyFileServer serves data with Range support and drops the connection
// mid-body on its first drops responses.
func flakyFileServer(t *testing.T, data []byte, drops int32) (*httptest.Server, *atomic.Int32) {
	var served, ranged atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			ranged.Add(1)
		}
		if served.Add(1) > drops || r.Method == http.MethodHead {
			http.ServeContent(w, r, "movie.mp4", time.Unix(1700000000, 0), bytes.NewReader(data))
			return
		}
		// Send the headers and a third of what is asked, then cut the wire.
		rec := httptest.NewRecorder()
		http.ServeContent(rec, r, "movie.mp4", time.Unix(1700000000, 0), bytes.NewReader(data))
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		_, _ = w.Write(body[:len(body)/3])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &ranged
}

func TestURLSourceSurvivesDroppedDownloadsWithoutTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // any temp file would land here
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv, WithPartSize(256<<10), WithMultipartThreshold(256<<10))
	_, data := writeFile(t, "movie.mp4", 3*mib+123)
	web, ranged := flakyFileServer(t, data, 2)

	res, err := u.UploadVideo(context.Background(), URLSource(web.URL+"/movie.mp4?token=secret"), VideoMeta{Title: "from the web"})
	require.NoError(t, err)
	requireStored(t, srv, &res.Result, data)
	assert.GreaterOrEqual(t, ranged.Load(), int32(2), "the dropped download resumed with Range requests")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "no temp file")
}

func TestURLSourceErrorsBeforeVOD(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	web := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(web.Close)

	_, err := u.UploadVideo(context.Background(), URLSource(web.URL+"/missing.mp4?sig=topsecret"), VideoMeta{Title: "x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "404")
	assert.NotContains(t, err.Error(), "topsecret", "query strings stay out of errors")
	assert.Zero(t, srv.Counters().Requests["CreateUploadVideo"])
}
