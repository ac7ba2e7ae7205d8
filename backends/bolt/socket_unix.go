//go:build unix

package bolt

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// privateTempDir is the current user's directory for short socket paths;
// per user so that nobody else can create (or squat) a socket there.
func privateTempDir() string {
	return filepath.Join(os.TempDir(), "automl-"+strconv.Itoa(os.Getuid()))
}

// ensureDir checks that the private temporary directory, when dir is it,
// exists, is a real directory, is ours and is closed to others. Any other
// directory is the store's own and is taken as it is.
func ensureDir(dir string) error {
	if dir != privateTempDir() {
		return nil
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s must be a directory owned by this user with mode 0700", dir)
	}
	return nil
}
