//go:build !unix

package natsbus

import (
	"fmt"
	"os"
)

// lockDir on systems without flock only creates the file: two servers on
// one store directory are not prevented there.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}

func unlockDir(f *os.File) {
	if f != nil {
		_ = f.Close()
	}
}
