package hls

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/m3u8"
	"github.com/vodupload/vodupload/internal/source"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestBuildLocalIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	index := write(t, dir, "movie.m3u8", "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4,\nseg/0.m4s\n#EXTINF:4,\nseg/1.m4s\n#EXT-X-ENDLIST\n")
	write(t, dir, "init.mp4", "init")
	write(t, dir, "seg/0.m4s", "zero")
	write(t, dir, "seg/1.m4s", "one!")

	p, err := Build(context.Background(), nil, index, nil)
	require.NoError(t, err)
	assert.Equal(t, "movie.m3u8", p.IndexName)
	var names []string
	for _, s := range p.Segments {
		names = append(names, s.Name)
		assert.EqualValues(t, 4, s.Size)
	}
	assert.Equal(t, []string{"init.mp4", "seg/0.m4s", "seg/1.m4s"}, names)
	assert.EqualValues(t, int64(len(p.Index))+12, p.Size)
}

func TestBuildRefusesWhatCannotBeUploaded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.m3u8":
			_, _ = w.Write([]byte("#EXTM3U\n#EXTINF:4,\nthere.ts\n#EXTINF:4,\ngone.ts?sig=secret\n#EXT-X-ENDLIST\n"))
		case "/there.ts":
			_, _ = w.Write([]byte("ts"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(web.Close)
	collide := write(t, dir, "c.m3u8", "#EXTM3U\n#EXTINF:4,\nc.m3u8\n#EXT-X-ENDLIST\n")

	_, err := Build(context.Background(), nil, web.URL+"/ok.m3u8", nil)
	require.ErrorIs(t, err, ErrMissingSegment)
	var se *source.HTTPStatusError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, http.StatusNotFound, se.StatusCode)
	assert.NotContains(t, err.Error(), "secret", "signed query strings stay out of errors")

	_, err = Build(context.Background(), nil, web.URL+"/missing.m3u8", nil)
	require.True(t, errors.As(err, &se), "a missing index is an HTTP status error: %v", err)

	_, err = Build(context.Background(), nil, collide, nil)
	assert.ErrorContains(t, err, "used twice", "a segment may not overwrite the index")

	_, err = Build(context.Background(), nil, collide, []string{filepath.Join(dir, "nope.ts")})
	assert.ErrorIs(t, err, ErrMissingSegment)
	assert.ErrorIs(t, err, os.ErrNotExist)

	_, err = Build(context.Background(), nil, write(t, dir, "big.m3u8", "#EXTM3U\n"+string(make([]byte, m3u8.MaxIndexSize))), nil)
	assert.ErrorIs(t, err, m3u8.ErrTooLarge)
}
