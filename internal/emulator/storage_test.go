package emulator

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStorageModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mode      StorageMode
		keepsData bool
	}{
		{"memory", StorageMemory, true},
		{"dir", StorageDir, true},
		{"discard", StorageDiscard, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := newOSSServer(t, Options{Storage: tt.mode, Dir: dir})
			const small, big = "sv/modes/small.mp4", "sv/modes/big.mp4"
			smallData, bigData := randomBytes(1000, 1), randomBytes(700<<10, 2)
			bs := sdkBucket(t, srv, issue(srv, small))
			bb := sdkBucket(t, srv, issue(srv, big))
			src := filepath.Join(t.TempDir(), "big.mp4")
			require.NoError(t, os.WriteFile(src, bigData, 0o600))

			require.NoError(t, bs.PutObject(small, bytes.NewReader(smallData)))
			require.NoError(t, bb.UploadFile(big, src, 256<<10, oss.Routines(2)))

			for key, data := range map[string][]byte{small: smallData, big: bigData} {
				size, crc, err := srv.ObjectInfo(testBucket, key)
				require.NoError(t, err)
				assert.Equal(t, int64(len(data)), size, key)
				assert.Equal(t, crcOf(data), crc, key)
				got, err := srv.Object(testBucket, key)
				if !tt.keepsData {
					assert.ErrorIs(t, err, errDiscarded)
					_, err = bs.GetObject(small)
					requireServiceError(t, err, http.StatusNotImplemented, "NotImplemented")
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, data, got, key)
			}
			if tt.mode == StorageDir {
				assertNoLeftovers(t, dir)
			}
		})
	}
}

// assertNoLeftovers checks that completed uploads left no part or
// temporary files behind.
func assertNoLeftovers(t *testing.T, root string) {
	t.Helper()
	for _, sub := range []string{partsDir, tmpDir} {
		entries, err := os.ReadDir(filepath.Join(root, sub))
		require.NoError(t, err)
		assert.Empty(t, entries, sub)
	}
}

func TestDirStoreKeepsKeysInsideRoot(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	st, err := newDirStore(root)
	require.NoError(t, err)
	keys := []string{
		"../../escape.mp4", "..", ".", "./x", "a/../../b", `..\..\win.mp4`,
		".parts", "%2E%2E", strings.Repeat("long/", 200) + "v.mp4",
	}
	for i, key := range keys {
		data := []byte(key)
		_, err := st.put(testBucket, key, bytes.NewReader(data), "video/mp4")
		require.NoError(t, err, key)
		_, rc, err := st.open(testBucket, key)
		require.NoError(t, err, key)
		got, err := io.ReadAll(rc)
		require.NoError(t, rc.Close())
		require.NoError(t, err)
		assert.Equal(t, data, got, "key %d %q reads back its own bytes", i, key)
	}
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing written next to the root")
	var files int
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
			assert.LessOrEqual(t, len(d.Name()), 255)
		}
		return err
	}))
	assert.Equal(t, len(keys), files, "one file per key, none clobbered")
}

func TestFailedBodyStoresNothing(t *testing.T) {
	t.Parallel()
	for _, mode := range []StorageMode{StorageMemory, StorageDir, StorageDiscard} {
		dir := t.TempDir()
		st, err := newObjectStore(mode, dir)
		require.NoError(t, err)
		broken := io.MultiReader(strings.NewReader("half a body"), errReader{})

		_, err = st.put(testBucket, "k.mp4", broken, "video/mp4")
		require.Error(t, err)
		_, err = st.putPart(io.MultiReader(strings.NewReader("half a part"), errReader{}))
		require.Error(t, err)

		_, err = st.stat(testBucket, "k.mp4")
		assert.ErrorIs(t, err, errNotFound, "mode %d", mode)
		if mode == StorageDir {
			assertNoLeftovers(t, dir)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection lost") }

func TestStorageDirNeedsDir(t *testing.T) {
	t.Parallel()
	_, err := New(Options{Storage: StorageDir})
	require.Error(t, err)
}

// TestDiscardModeMemoryIsFlat streams 16 MiB through the real SDK into a
// discard-mode part and checks the process allocated only a small,
// size-independent amount. Not parallel: it reads process-wide counters.
func TestDiscardModeMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 16 MiB")
	}
	srv := newOSSServer(t, Options{Storage: StorageDiscard})
	const key, size = "sv/flat/f.mp4", 16 << 20
	b := sdkBucket(t, srv, issue(srv, key))
	imur, err := b.InitiateMultipartUpload(key)
	require.NoError(t, err)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	part, err := b.UploadPart(imur, zeroReader{}, size, 1)
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{part})
	require.NoError(t, err)

	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB to stream %d MiB", allocated>>10, size>>20)
	assert.Less(t, allocated, uint64(8<<20), "allocations must not grow with the body")
	gotSize, crc, err := srv.ObjectInfo(testBucket, key)
	require.NoError(t, err)
	assert.Equal(t, int64(size), gotSize)
	assert.Equal(t, crcOf(make([]byte, size)), crc)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// BenchmarkCopyDigest is the server-side cost per byte of every upload:
// MD5 for the ETag plus CRC64 for x-oss-hash-crc64ecma.
func BenchmarkCopyDigest(b *testing.B) {
	const size = 64 << 20
	b.SetBytes(size)
	for b.Loop() {
		if _, err := copyDigest(io.Discard, io.LimitReader(zeroReader{}, size)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUploadPartDiscard is one 64 MiB part through the real SDK into a
// discard-mode emulator: client CRC, loopback HTTP, server MD5 and CRC.
func BenchmarkUploadPartDiscard(b *testing.B) {
	srv, err := New(Options{Storage: StorageDiscard})
	require.NoError(b, err)
	b.Cleanup(srv.Close)
	const key, size = "sv/bench/b.mp4", 64 << 20
	c := issue(srv, key)
	client, err := oss.New(srv.URL, c.AccessKeyID, c.AccessKeySecret, oss.SecurityToken(c.SecurityToken))
	require.NoError(b, err)
	bucket, err := client.Bucket(testBucket)
	require.NoError(b, err)
	imur, err := bucket.InitiateMultipartUpload(key)
	require.NoError(b, err)
	b.SetBytes(size)
	for b.Loop() {
		if _, err := bucket.UploadPart(imur, zeroReader{}, size, 1); err != nil {
			b.Fatal(err)
		}
	}
}
