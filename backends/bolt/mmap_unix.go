//go:build unix

package bolt

import (
	"os"
	"syscall"
)

// mapFile maps the first n bytes of f read-only.
func mapFile(f *os.File, n int) ([]byte, error) {
	if n <= 0 {
		return nil, syscall.EINVAL
	}
	return syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
}

func unmapFile(b []byte) { _ = syscall.Munmap(b) }
