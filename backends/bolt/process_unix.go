//go:build unix

package bolt

import (
	"errors"
	"os"
	"syscall"
)

// processAlive reports whether pid names a live process (EPERM: alive,
// owned by another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// unlockFile drops a flock held on f.
func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
