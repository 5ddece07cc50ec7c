package vodupload

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/hls"
	"github.com/vodupload/vodupload/internal/m3u8"
)

// requireHLSStored checks the stored index names only objects stored next
// to it, each equal to the local file of the same name in dir.
func requireHLSStored(t *testing.T, srv *emulator.Server, res *VideoResult, dir string) {
	t.Helper()
	index, err := srv.Object(res.Bucket, res.ObjectKey)
	require.NoError(t, err)
	pl, err := m3u8.Parse(strings.NewReader(string(index)))
	require.NoError(t, err)
	objs, err := pl.Objects()
	require.NoError(t, err)
	require.NotEmpty(t, objs)
	prefix := res.ObjectKey[:strings.LastIndexByte(res.ObjectKey, '/')+1]
	for _, o := range objs {
		got, err := srv.Object(res.Bucket, prefix+o.Name)
		require.NoError(t, err, "the index names %s, which must be stored next to it", o.Name)
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(o.Name)))
		require.NoError(t, err)
		assert.Equal(t, want, got, o.Name)
	}
	assert.Equal(t, len(objs)+1, res.Parts)
}

func TestUploadM3U8FromLocalIndex(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	res, err := u.UploadM3U8(context.Background(), M3U8{Index: filepath.Join("testdata", "hls", "index.m3u8")}, VideoMeta{Title: "hls"})
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(res.ObjectKey, ".m3u8"))
	requireHLSStored(t, srv, res, filepath.Join("testdata", "hls"))
}

func TestUploadM3U8FromURLIndexWithQueryStrings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"init.mp4", "segment-000.m4s", "segment-001.m4s", "segment-002.m4s"} {
		b, err := os.ReadFile(filepath.Join("testdata", "hls", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	// A CDN-style index: signed segment URLs the stored index must not keep.
	index := "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"init.mp4?sig=abc\"\n" +
		"#EXTINF:4,\nsegment-000.m4s?sig=abc\n#EXTINF:4,\nsegment-001.m4s?sig=abc\n#EXTINF:2.5,\nsegment-002.m4s?sig=abc\n#EXT-X-ENDLIST\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.m3u8"), []byte(index), 0o600))
	web := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(web.Close)

	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	res, err := u.UploadM3U8(context.Background(), M3U8{Index: web.URL + "/index.m3u8?sig=abc"}, VideoMeta{Title: "web hls"})
	require.NoError(t, err)
	requireHLSStored(t, srv, res, dir)
	stored, _ := srv.Object(res.Bucket, res.ObjectKey)
	assert.NotContains(t, string(stored), "sig=abc", "the stored index references the stored objects")
}

func TestUploadM3U8ExplicitSegments(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	dir := filepath.Join("testdata", "hls")
	var segs []string
	for _, n := range []string{"init.mp4", "segment-000.m4s", "segment-001.m4s", "segment-002.m4s"} {
		segs = append(segs, filepath.Join(dir, n))
	}
	res, err := u.UploadM3U8(context.Background(), M3U8{Index: filepath.Join(dir, "index.m3u8"), Segments: segs}, VideoMeta{Title: "explicit"})
	require.NoError(t, err)
	requireHLSStored(t, srv, res, dir)
}

func TestUploadM3U8RejectsBadInputBeforeVOD(t *testing.T) {
	t.Parallel()
	srv := newEmulator(t, emulator.Options{})
	u := newUploader(t, srv)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	missing := write("missing.m3u8", "#EXTM3U\n#EXTINF:4,\nnot-there.ts\n#EXT-X-ENDLIST\n")
	master := write("master.m3u8", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nlow.m3u8\n")
	traversal := write("up.m3u8", "#EXTM3U\n#EXTINF:4,\n../../etc/passwd\n#EXT-X-ENDLIST\n")
	notIndex := write("seg.ts", "x")

	// want is the internal cause; public what a caller outside the module
	// matches, since internal packages cannot be imported there.
	tests := []struct {
		name         string
		src          M3U8
		want, public error
	}{
		{"missing segment", M3U8{Index: missing}, hls.ErrMissingSegment, ErrInvalidPlaylist},
		{"master playlist", M3U8{Index: master}, m3u8.ErrMasterPlaylist, ErrMasterPlaylist},
		{"path traversal", M3U8{Index: traversal}, m3u8.ErrUnsafeURI, ErrInvalidPlaylist},
		{"missing index", M3U8{Index: filepath.Join(dir, "nope.m3u8")}, os.ErrNotExist, os.ErrNotExist},
		{"not an index", M3U8{Index: notIndex}, m3u8.ErrMissingHeader, ErrInvalidPlaylist},
	}
	for _, tt := range tests {
		_, err := u.UploadM3U8(context.Background(), tt.src, VideoMeta{Title: "bad"})
		assert.True(t, errors.Is(err, tt.want), "%s: got %v", tt.name, err)
		assert.True(t, errors.Is(err, tt.public), "%s: the caller matches %v in %v", tt.name, tt.public, err)
	}
	_, err := u.UploadM3U8(context.Background(), M3U8{Index: master}, VideoMeta{Title: "bad"})
	assert.ErrorIs(t, err, ErrInvalidPlaylist, "a master playlist is an invalid one too")
	assert.Zero(t, srv.Counters().Requests["CreateUploadVideo"], "no media record for input rejected locally")
}
