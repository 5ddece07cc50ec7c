//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos)

package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// freshLockAge covers the instant between creating a lock file and writing
// its pid; an empty lock younger than this is being taken, not abandoned.
const freshLockAge = time.Minute

// Lock takes an exclusive lock on key by creating <key>.lock with O_EXCL and
// writing the holder's pid. Without flock the kernel cannot release it when
// the holder dies, so a lock whose pid no longer names a running process is
// treated as stale and taken over. It returns ErrLocked when the key is held.
func (d *DirStore) Lock(key string) (unlock func() error, err error) {
	if err := validateKey(key); err != nil {
		return nil, fmt.Errorf("lock checkpoint %s: %w", key, err)
	}
	path := d.lockPath(key)
	for range 2 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.WriteString(strconv.Itoa(os.Getpid()))
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				_ = os.Remove(path)
				return nil, fmt.Errorf("lock checkpoint %s: %w", key, werr)
			}
			return remover(path), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock checkpoint %s: %w", key, err)
		}
		if !stale(path) {
			return nil, fmt.Errorf("lock checkpoint %s: %w", key, ErrLocked)
		}
		_ = os.Remove(path)
	}
	return nil, fmt.Errorf("lock checkpoint %s: %w", key, ErrLocked)
}

func stale(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		fi, serr := os.Stat(path)
		return serr == nil && time.Since(fi.ModTime()) > freshLockAge
	}
	if pid == os.Getpid() {
		return false
	}
	// On Windows FindProcess opens the process and fails once it is gone.
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	_ = p.Release()
	return false
}

func remover(path string) func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = fmt.Errorf("unlock checkpoint %s: %w", path, rerr)
			}
		})
		return err
	}
}

// syncDir is a no-op: directories cannot be opened for fsync on these
// systems, and their rename is as durable as the platform offers.
func syncDir(string) error { return nil }
