package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeysListsCheckpointsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestStore(t)
	keys, err := d.Keys(ctx)
	require.NoError(t, err)
	assert.Empty(t, keys)

	data := mustEncode(t, testRecord(1))
	require.NoError(t, d.Save(ctx, "bbbb", data))
	require.NoError(t, d.Save(ctx, "aaaa", data))
	unlock, err := d.Lock("cccc") // a lock file alone is no checkpoint
	require.NoError(t, err)
	defer func() { _ = unlock() }()
	for _, name := range []string{"aaaa.ckpt.tmp-123", "README.ckpt", "notes.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(d.Dir(), name), []byte("x"), 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(d.Dir(), "dddd.ckpt"), 0o700))

	keys, err = d.Keys(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"aaaa", "bbbb"}, keys)

	require.NoError(t, d.Delete(ctx, "aaaa"))
	keys, err = d.Keys(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"bbbb"}, keys)
}
