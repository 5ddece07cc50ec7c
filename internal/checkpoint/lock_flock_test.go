//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package checkpoint

import (
	"bufio"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLockExcludesSecondHolder(t *testing.T) {
	t.Parallel()
	d := newTestStore(t)
	unlock, err := d.Lock(testKey)
	require.NoError(t, err)

	_, err = d.Lock(testKey)
	require.ErrorIs(t, err, ErrLocked)

	other, err := d.Lock("another-key")
	require.NoError(t, err, "keys lock independently")
	require.NoError(t, other())

	require.NoError(t, unlock())
	require.NoError(t, unlock(), "unlock is idempotent")
	_, err = os.Stat(filepath.Join(d.Dir(), testKey+lockSuffix))
	require.ErrorIs(t, err, fs.ErrNotExist, "unlock cleans up its lock file")

	again, err := d.Lock(testKey)
	require.NoError(t, err)
	require.NoError(t, again())
}

// TestLockContention checks mutual exclusion survives unlock deleting the
// lock file while others are opening it.
func TestLockContention(t *testing.T) {
	t.Parallel()
	d := newTestStore(t)
	var holders, maxHolders, acquired atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				unlock, err := d.Lock(testKey)
				if err != nil {
					assert.ErrorIs(t, err, ErrLocked)
					continue
				}
				n := holders.Add(1)
				for {
					m := maxHolders.Load()
					if n <= m || maxHolders.CompareAndSwap(m, n) {
						break
					}
				}
				acquired.Add(1)
				holders.Add(-1)
				assert.NoError(t, unlock())
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, maxHolders.Load(), "two holders at once")
	assert.Positive(t, acquired.Load())
}

// TestLockReleasedWhenHolderIsKilled runs the holder as a real child process
// and SIGKILLs it: the kernel must release the lock without any cleanup.
func TestLockReleasedWhenHolderIsKilled(t *testing.T) {
	t.Parallel()
	d := newTestStore(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+d.Dir()+":"+testKey)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	_, err = d.Lock(testKey)
	require.ErrorIs(t, err, ErrLocked, "child holds the lock")

	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred unlock runs
	_ = cmd.Wait()

	unlock, err := d.Lock(testKey)
	require.NoError(t, err, "a dead holder must not block the resume")
	require.NoError(t, unlock())
}
