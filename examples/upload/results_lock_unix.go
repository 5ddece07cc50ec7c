//go:build unix

package main

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on f without waiting; the lock
// goes with the process, so a killed run never leaves it behind.
func lockFile(f *os.File) (unlock func(), err error) {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
}
