package benchkit

import (
	"bytes"
	"context"
	"io"
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
// file's bytes, so a benchmark never compares against a library that
// silently did less.
func TestRivalsStoreTheFile(t *testing.T) {
	t.Parallel()
	srv, err := emulator.New(emulator.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	vod, err := vodapi.New(vodapi.Config{Endpoint: srv.URL,
		Credentials: credentials.NewStaticAKCredentialsProvider(srv.AccessKeyID, srv.AccessKeySecret)})
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
			require.NoError(t, tt.run(tg))
			got, err := srv.Object(tg.Bucket, tg.Key)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "stored bytes differ from the file")
		})
	}
}
