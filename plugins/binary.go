package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// checkBinary verifies a plugin binary before anything is launched: it
// exists, is a regular executable file and, when pinned, has the SHA-256
// it should. A pinned binary is copied, while it is hashed, into a private
// directory, and the copy is what runs: the bytes checked are the bytes
// executed, with no window in which the original can be swapped. It
// returns the path to execute and a cleanup for the copy.
func checkBinary(path, pin string) (string, func(), error) {
	nop := func() {}
	if path == "" {
		return "", nop, fmt.Errorf("%w: no plugin binary given", ErrBinary)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nop, fmt.Errorf("%w: %s: no such file", ErrBinary, path)
	case err != nil:
		return "", nop, fmt.Errorf("%w: %v", ErrBinary, err)
	case !fi.Mode().IsRegular():
		return "", nop, fmt.Errorf("%w: %s: not a regular file (%s)", ErrBinary, path, fi.Mode().Type())
	case fi.Mode().Perm()&0o111 == 0 || syscall.Access(path, 1 /* X_OK */) != nil:
		return "", nop, fmt.Errorf("%w: %s: not executable (mode %#o); chmod +x it", ErrBinary, path, fi.Mode().Perm())
	}
	if pin == "" {
		return path, nop, nil
	}
	want := strings.ToLower(pin)
	if len(want) != sha256.Size*2 {
		return "", nop, fmt.Errorf("%w: %s: sha256 pin %q: want %d hexadecimal digits", ErrBinary, path, pin, sha256.Size*2)
	}
	dir, err := os.MkdirTemp("", "automl-plugin-")
	if err != nil {
		return "", nop, fmt.Errorf("%w: private copy of %s: %v", ErrBinary, path, err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	copyPath := filepath.Join(dir, filepath.Base(path))
	got, err := copyHashing(path, copyPath)
	if err != nil {
		cleanup()
		return "", nop, fmt.Errorf("%w: private copy of %s: %v", ErrBinary, path, err)
	}
	if got != want {
		cleanup()
		return "", nop, fmt.Errorf("%w: %s: checksum mismatch: its sha256 is %s, trainer.sha256 pins %s", ErrBinary, path, got, want)
	}
	return copyPath, cleanup, nil
}

// copyHashing copies src to a new 0500 file dst and returns the hex
// SHA-256 of the bytes copied.
func copyHashing(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o500)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
