package emulator_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload"
	"github.com/vodupload/vodupload/internal/emulator"
)

// TestLibraryUploadsOverTLS drives this module's uploader against the
// emulator's TLS mode the way a user would: WithEndpoint takes the https
// URL and WithHTTPClient a client trusting the emulator's certificate,
// for OSS and (through its TLS configuration) VOD calls alike.
func TestLibraryUploadsOverTLS(t *testing.T) {
	t.Parallel()
	srv, err := emulator.New(emulator.Options{TLS: true})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	u, err := vodupload.New(
		vodupload.WithEndpoint(srv.URL),
		vodupload.WithCredentials(vodupload.StaticCredentials(srv.AccessKeyID, srv.AccessKeySecret)),
		vodupload.WithHTTPClient(srv.Client()),
		vodupload.WithPartSize(vodupload.MinPartSize),
		vodupload.WithMultipartThreshold(vodupload.MinPartSize),
	)
	require.NoError(t, err)
	data := make([]byte, 3*vodupload.MinPartSize+17)
	_, _ = rand.Read(data)
	path := filepath.Join(t.TempDir(), "tls.mp4")
	require.NoError(t, os.WriteFile(path, data, 0o600))

	res, err := u.UploadVideo(context.Background(), vodupload.FileSource(path), vodupload.VideoMeta{Title: "over tls"})
	require.NoError(t, err)
	got, err := srv.Object(res.Bucket, res.ObjectKey)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "stored bytes differ")
	assert.Positive(t, srv.Counters().Requests["UploadPart"], "multipart over TLS")
}
