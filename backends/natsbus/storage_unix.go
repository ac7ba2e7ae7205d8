//go:build unix

package natsbus

import (
	"fmt"
	"syscall"
)

// diskFree is the space an unprivileged process may still use on dir's
// filesystem (statfs: available blocks times the block size).
func diskFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("nats store %s: free space: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
