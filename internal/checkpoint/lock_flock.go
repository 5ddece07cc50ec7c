//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos

package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// maxLockAttempts bounds the retry when an unlocking process removes the lock
// file between our open and our flock; each retry means someone else made
// progress, so a handful is plenty.
const maxLockAttempts = 8

// Lock takes an exclusive, non-blocking lock on key across processes with
// flock(2) on <key>.lock. It returns ErrLocked when the key is held, even by
// this process. The kernel drops the lock when its holder dies, so a
// SIGKILLed upload never blocks its own resume. The returned unlock is
// idempotent.
func (d *DirStore) Lock(key string) (unlock func() error, err error) {
	if err := validateKey(key); err != nil {
		return nil, fmt.Errorf("lock checkpoint %s: %w", key, err)
	}
	path := d.lockPath(key)
	for range maxLockAttempts {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock checkpoint %s: %w", key, err)
		}
		if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			_ = f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("lock checkpoint %s: %w", key, ErrLocked)
			}
			return nil, fmt.Errorf("lock checkpoint %s: %w", key, err)
		}
		// Unlock removes the file before releasing it, so the inode we
		// locked may already be unlinked; only a lock on the file still
		// named path excludes the next process.
		if current(f, path) {
			return unlocker(f, path), nil
		}
		_ = f.Close()
	}
	return nil, fmt.Errorf("lock checkpoint %s: %w", key, ErrLocked)
}

func current(f *os.File, path string) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	named, err := os.Stat(path)
	return err == nil && os.SameFile(held, named)
}

// unlocker removes the lock file while still holding the lock, so no waiter
// can lock the old inode after it stops being the lock.
func unlocker(f *os.File, path string) func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			rmErr := os.Remove(path)
			unErr := flock(f, syscall.LOCK_UN)
			closeErr := f.Close()
			if e := errors.Join(rmErr, unErr, closeErr); e != nil {
				err = fmt.Errorf("unlock checkpoint %s: %w", path, e)
			}
		})
		return err
	}
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
