// Package secretfile refuses a file that holds a secret (a private key, an
// NKey seed, a NATS credentials file) when users other than its owner may
// read or change it, as ssh refuses such a key: a secret others can read is
// no longer one, and a refusal at start, naming the fix, beats a quiet leak.
package secretfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrExposed is wrapped by Check's error for a file whose mode has group or
// other permission bits.
var ErrExposed = errors.New("open to other users")

// Check returns an error when path cannot be read or its mode has any group
// or other bits (mode & 0o077 != 0); what says what the file holds ("TLS
// private key"). On Windows, where modes do not describe access, only the
// file's existence is checked.
func Check(what, path string) error {
	fi, err := os.Stat(path) // the target of a link: its own mode is always 0777
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return fmt.Errorf("%s %s has mode %04o, %w: run chmod 600 %s", what, path, perm, ErrExposed, shellQuote(path))
	}
	return nil
}

// Write writes data to path with mode 0600, replacing it whole (a temporary
// file renamed over it), so no reader sees half a key and the mode holds
// even where path existed with a wider one.
func Write(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil { // a key must survive a crash whole
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// shellQuote quotes path for a shell when it holds anything but safe
// characters, so the suggested command can be pasted as is.
func shellQuote(path string) string {
	if strings.IndexFunc(path, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:,@%", r))
	}) < 0 {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
