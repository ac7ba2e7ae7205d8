package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	berrors "go.etcd.io/bbolt/errors"
)

// fullDisk explains an error that comes from a full disk (ENOSPC) or from
// reaching Options.MaxSize: which file, how large it is, the free space
// on its file system, and what to do. Other errors pass unchanged.
func (s *Store) fullDisk(err error) error {
	limit := errors.Is(err, berrors.ErrMaxSizeReached)
	if !limit && !errors.Is(err, syscall.ENOSPC) && !strings.Contains(err.Error(), "no space left on device") {
		return err
	}
	size := "size unknown"
	if fi, serr := os.Stat(s.abs); serr == nil {
		size = bytesText(fi.Size())
	}
	if limit {
		size += fmt.Sprintf(", its size limit %s", bytesText(int64(s.maxSize)))
	}
	dir := filepath.Dir(s.abs)
	free := "free space unknown"
	if n, ferr := freeSpace(dir); ferr == nil {
		free = fmt.Sprintf("%s free on %s", bytesText(int64(n)), dir)
	}
	return fmt.Errorf("no space left to grow the study file %s (%s; %s): nothing of this step was written; "+
		"free some space and run the same command again, it continues where it stopped: %w", s.path, size, free, err)
}

// bytesText writes a size as people read it: 1.5 GiB, 200 KiB, 17 bytes.
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
