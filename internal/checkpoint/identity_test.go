package checkpoint

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyIsStableAndFileNameSafe(t *testing.T) {
	t.Parallel()
	src := SourceIdentity{Path: "/data/movie.mp4", Size: 10, SampleCRC: 1}
	k := Key(KindVideo, src, "dest")
	// A golden value: changing Key orphans every checkpoint on upgrade.
	assert.Equal(t, "811845c6c4aeee37f9b186cd614060ea", k)
	assert.Len(t, k, 32)
	require.NoError(t, validateKey(k))
	assert.Equal(t, k, Key(KindVideo, src, "dest"))
}

func TestKeyDistinguishesUploads(t *testing.T) {
	t.Parallel()
	base := SourceIdentity{Path: "/data/movie.mp4", Size: 10, ModTime: time.Unix(1, 0), SampleCRC: 1}
	baseKey := Key(KindVideo, base, "dest")
	tests := []struct {
		name     string
		kind     string
		src      SourceIdentity
		dest     string
		sameAsIt bool
	}{
		{"other kind", KindAttached, base, "dest", false},
		{"other path", KindVideo, SourceIdentity{Path: "/data/movie2.mp4"}, "dest", false},
		{"name instead of path", KindVideo, SourceIdentity{Name: "/data/movie.mp4"}, "dest", false},
		{"other destination", KindVideo, base, "dest2", false},
		{"fields not run together", KindVideo, SourceIdentity{Path: "/data/movie.mp4d"}, "est", false},
		// A changed file keeps its key so the stale record is found,
		// reported and deleted rather than orphaned.
		{"edited file", KindVideo, SourceIdentity{Path: "/data/movie.mp4", Size: 11, ModTime: time.Unix(2, 0), SampleCRC: 2}, "dest", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Key(tt.kind, tt.src, tt.dest)
			if tt.sameAsIt {
				assert.Equal(t, baseKey, got)
			} else {
				assert.NotEqual(t, baseKey, got)
			}
		})
	}
}

func TestSampleCRCNoticesChanges(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	orig := make([]byte, size)
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range orig {
		orig[i] = byte(rng.Uint32())
	}
	base, err := SampleCRC(bytes.NewReader(orig), size)
	require.NoError(t, err)

	tests := []struct {
		name    string
		offset  int
		changed bool
	}{
		{"first block", 10, true},
		{"middle block", size / 2, true},
		{"last block", size - 1, true},
		// Documented blind spot: unsampled bytes; ModTime covers those.
		{"unsampled region", 200 << 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := bytes.Clone(orig)
			b[tt.offset] ^= 0xff
			got, err := SampleCRC(bytes.NewReader(b), size)
			require.NoError(t, err)
			assert.Equal(t, tt.changed, got != base)
		})
	}
}

func TestSampleCRCMixesInSize(t *testing.T) {
	t.Parallel()
	zeros := make([]byte, 1<<20+1)
	a, err := SampleCRC(bytes.NewReader(zeros[:1<<20]), 1<<20)
	require.NoError(t, err)
	b, err := SampleCRC(bytes.NewReader(zeros), 1<<20+1)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "same sampled bytes, different size")

	empty, err := SampleCRC(bytes.NewReader(nil), 0)
	require.NoError(t, err)
	one, err := SampleCRC(bytes.NewReader([]byte{0}), 1)
	require.NoError(t, err)
	assert.NotEqual(t, empty, one)
}

func TestSampleCRCSmallSourcesAreFullyHashed(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 1000, 3 * sampleBlock} {
		b := make([]byte, size)
		base, err := SampleCRC(bytes.NewReader(b), int64(size))
		require.NoError(t, err)
		for _, off := range []int{0, size / 3, size - 1} {
			c := bytes.Clone(b)
			c[off] = 1
			got, err := SampleCRC(bytes.NewReader(c), int64(size))
			require.NoError(t, err)
			assert.NotEqual(t, base, got, "size %d, byte %d", size, off)
		}
	}
}

func TestSampleCRCErrors(t *testing.T) {
	t.Parallel()
	_, err := SampleCRC(bytes.NewReader(make([]byte, 10)), 20)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "source shorter than claimed")
	_, err = SampleCRC(bytes.NewReader(nil), -1)
	require.Error(t, err)
}

func TestIdentifyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "movie.mp4")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("a"), 300<<10), 0o600))
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, os.Chtimes(path, mtime, mtime))

	id, err := IdentifyFile(path)
	require.NoError(t, err)
	assert.Equal(t, path, id.Path)
	assert.True(t, filepath.IsAbs(id.Path))
	assert.EqualValues(t, 300<<10, id.Size)
	assert.True(t, id.ModTime.Equal(mtime))

	// Same size and mtime, different first byte: a swapped file is noticed.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("b"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Chtimes(path, mtime, mtime))
	again, err := IdentifyFile(path)
	require.NoError(t, err)
	assert.False(t, id.Matches(again))

	_, err = IdentifyFile(filepath.Join(dir, "missing.mp4"))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = IdentifyFile(dir)
	require.Error(t, err, "a directory is not an upload source")
}
