//go:build !unix

package bolt

import (
	"os"
	"path/filepath"
)

func privateTempDir() string { return filepath.Join(os.TempDir(), "automl") }

func ensureDir(dir string) error {
	if dir != privateTempDir() {
		return nil
	}
	return os.MkdirAll(dir, 0o700)
}
