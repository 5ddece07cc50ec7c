package benchkit

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vodupload/vodupload/internal/emulator"
	"github.com/vodupload/vodupload/internal/vodapi"
)

const mib = 1 << 20

func TestGeneratorIsDeterministicAndExact(t *testing.T) {
	t.Parallel()
	a, err := io.ReadAll(NewGenerator(3*mib+5, 7))
	require.NoError(t, err)
	b, err := io.ReadAll(io.LimitReader(NewGenerator(10*mib, 7), 3*mib+5))
	require.NoError(t, err)
	assert.Len(t, a, 3*mib+5)
	assert.Equal(t, a, b, "same seed, same bytes, whatever the read sizes")
	assert.NotEqual(t, a[:mib], a[mib:2*mib], "consecutive MiB differ")
	c, err := io.ReadAll(io.LimitReader(NewGenerator(mib, 8), mib))
	require.NoError(t, err)
	assert.NotEqual(t, a[:mib], c, "another seed, other bytes")
}

// TestRivalsStoreTheFile checks every rival upload path really stores the
// file's bytes, over plain HTTP and over TLS, so a benchmark never
// compares against a library that silently did less.
func TestRivalsStoreTheFile(t *testing.T) {
	t.Parallel()
	for _, tlsMode := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tlsMode], func(t *testing.T) {
			t.Parallel()
			rivalsStoreTheFile(t, tlsMode)
		})
	}
}

func rivalsStoreTheFile(t *testing.T, tlsMode bool) {
	srv, err := emulator.New(emulator.Options{TLS: tlsMode})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	cfg := vodapi.Config{Endpoint: srv.URL,
		Credentials: credentials.NewStaticAKCredentialsProvider(srv.AccessKeyID, srv.AccessKeySecret)}
	var client *http.Client
	if tlsMode {
		cfg.TLSClientConfig = &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12}
		client = srv.Client()
		t.Cleanup(client.CloseIdleConnections)
	}
	vod, err := vodapi.New(cfg)
	require.NoError(t, err)
	t.Cleanup(vod.Close)

	const size = 3*mib + 123
	path := filepath.Join(t.TempDir(), "in.mp4")
	require.NoError(t, WriteFile(path, size, 1))
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	ctx := context.Background()
	small := Settings{PartSize: mib, Workers: 2}
	tests := []struct {
		name string
		size int64
		run  func(Target) error
	}{
		{"oss-uploadfile", size, func(tg Target) error { return OSSUploadFile(tg, path, small) }},
		{"oss-uploadfile defaults", size, func(tg Target) error { return OSSUploadFile(tg, path, Settings{}) }},
		{"oss-v2-uploader", size, func(tg Target) error { return OSSV2UploadFile(ctx, tg, path, small) }},
		{"single-put", size, func(tg Target) error { return OSSPutObject(tg, path) }},
		{"oss-v2 stream", -1, func(tg Target) error {
			return OSSV2UploadStream(ctx, tg, NewGenerator(size, 1), small)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tg, err := CreateTarget(ctx, vod, "rival", "in.mp4", tt.size)
			require.NoError(t, err)
			tg.HTTPClient = client
			require.NoError(t, tt.run(tg))
			got, err := srv.Object(tg.Bucket, tg.Key)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "stored bytes differ from the file")
		})
	}
}
