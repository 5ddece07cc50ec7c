package checkpoint

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testKey = "0123456789abcdef0123456789abcdef"

func newTestStore(t *testing.T) *DirStore {
	t.Helper()
	d, err := NewDirStore(filepath.Join(t.TempDir(), "ckpt"))
	require.NoError(t, err)
	return d
}

func TestDirStoreSaveLoadDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestStore(t)

	_, err := d.Load(ctx, testKey)
	require.ErrorIs(t, err, ErrNotExist)
	require.ErrorIs(t, err, fs.ErrNotExist, "callers with any Store test fs.ErrNotExist")

	want := mustEncode(t, testRecord(3))
	require.NoError(t, d.Save(ctx, testKey, want))
	got, err := d.Load(ctx, testKey)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	newer := mustEncode(t, testRecord(4))
	require.NoError(t, d.Save(ctx, testKey, newer))
	got, err = d.Load(ctx, testKey)
	require.NoError(t, err)
	assert.Equal(t, newer, got)

	require.NoError(t, d.Delete(ctx, testKey))
	_, err = d.Load(ctx, testKey)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, d.Delete(ctx, testKey), "deleting a missing key is not an error")

	entries, err := os.ReadDir(d.Dir())
	require.NoError(t, err)
	assert.Empty(t, entries, "no temp files left behind")
}

func TestDirStoreRejectsUnsafeKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestStore(t)
	for _, key := range []string{"", "../escape", "a/b", `a\b`, "a.b", "ABC", "nul\x00", string(make([]byte, 200))} {
		require.ErrorIs(t, d.Save(ctx, key, []byte("x")), ErrInvalidKey, "key %q", key)
		_, err := d.Load(ctx, key)
		require.ErrorIs(t, err, ErrInvalidKey, "key %q", key)
		require.ErrorIs(t, d.Delete(ctx, key), ErrInvalidKey, "key %q", key)
		_, err = d.Lock(key)
		require.ErrorIs(t, err, ErrInvalidKey, "key %q", key)
	}
	_, err := os.Stat(filepath.Join(filepath.Dir(d.Dir()), "escape.ckpt"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestDirStoreHonoursCancelledContext(t *testing.T) {
	t.Parallel()
	d := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.Save(ctx, testKey, []byte("x")), context.Canceled)
	_, err := d.Load(context.Background(), testKey)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestDirStorePermissions(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("unix permission bits")
	}
	dir := filepath.Join(t.TempDir(), "nested", "ckpt")
	d, err := NewDirStore(dir)
	require.NoError(t, err)
	require.NoError(t, d.Save(context.Background(), testKey, mustEncode(t, testRecord(1))))

	di, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm(), "checkpoint dir")
	fi, err := os.Stat(filepath.Join(dir, testKey+fileSuffix))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "checkpoint file")
}

// TestDirStoreIgnoresTornWrite stands in for a SIGKILL mid-save: the partial
// bytes exist only under a temp name, so Load still returns the last good
// record.
func TestDirStoreIgnoresTornWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestStore(t)
	good := mustEncode(t, testRecord(2))
	require.NoError(t, d.Save(ctx, testKey, good))

	next := mustEncode(t, testRecord(3))
	torn := filepath.Join(d.Dir(), testKey+tempInfix+"123456")
	require.NoError(t, os.WriteFile(torn, next[:len(next)/2], 0o600))

	got, err := d.Load(ctx, testKey)
	require.NoError(t, err)
	rec, err := Decode(got)
	require.NoError(t, err)
	assert.Len(t, rec.Parts, 2)

	// A restarted process saves over it and then cleans up on Delete.
	require.NoError(t, d.Save(ctx, testKey, next))
	require.NoError(t, d.Delete(ctx, testKey))
	_, err = os.Stat(torn)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestNewDirStoreRemovesOnlyStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, testKey+tempInfix+"1")
	fresh := filepath.Join(dir, testKey+tempInfix+"2")
	other := filepath.Join(dir, "notes.txt")
	for _, p := range []string{stale, fresh, other} {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
	}
	old := time.Now().Add(-2 * staleTempAge)
	require.NoError(t, os.Chtimes(stale, old, old))
	require.NoError(t, os.Chtimes(other, old, old))

	_, err := NewDirStore(dir)
	require.NoError(t, err)
	_, err = os.Stat(stale)
	require.ErrorIs(t, err, fs.ErrNotExist, "temp of a process killed long ago")
	assert.FileExists(t, fresh, "may be a live save in another process")
	assert.FileExists(t, other, "not ours")
}

// TestDirStoreAtomicReplace has readers race a writer alternating two
// records; every read must decode to one of them.
func TestDirStoreAtomicReplace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestStore(t)
	a, b := mustEncode(t, testRecord(50)), mustEncode(t, testRecord(90))
	require.NoError(t, d.Save(ctx, testKey, a))

	done := make(chan struct{})
	var wg sync.WaitGroup
	reads := make([]int, 4)
	for r := range reads {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := d.Load(ctx, testKey)
				if !assert.NoError(t, err) {
					return
				}
				rec, err := Decode(got)
				if !assert.NoError(t, err, "reader saw a torn record") {
					return
				}
				assert.Contains(t, []int{50, 90}, len(rec.Parts))
				reads[r]++
			}
		})
	}
	for i := range 20 {
		require.NoError(t, d.Save(ctx, testKey, [][]byte{a, b}[i%2]))
	}
	close(done)
	wg.Wait()
	t.Logf("reads per reader during 20 saves: %v", reads)
}
