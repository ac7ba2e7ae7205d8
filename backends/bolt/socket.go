package bolt

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
)

// maxSocketPath keeps socket addresses inside sun_path on every unix
// (108 bytes on Linux, 104 on the BSDs and macOS, NUL included).
const maxSocketPath = 100

// socketPaths returns where the writer of the store at abs (an absolute
// path) may listen, in order of preference: beside the file, then a short
// path under the temporary directory derived from a hash of abs.
func socketPaths(abs string) []string {
	var ps []string
	if p := abs + ".sock"; len(p) <= maxSocketPath {
		ps = append(ps, p)
	}
	sum := sha256.Sum256([]byte(abs))
	return append(ps, filepath.Join(privateTempDir(), "automl-"+hex.EncodeToString(sum[:8])+".sock"))
}

// listenUnix listens on the first usable socket path. The caller holds the
// store's exclusive lock, so a socket left at one of its paths belongs to a
// dead writer of the same store and is replaced.
func listenUnix(abs string) (net.Listener, string, error) {
	var errs []error
	for _, p := range socketPaths(abs) {
		ln, err := listenAt(p)
		if err == nil {
			return ln, p, nil
		}
		errs = append(errs, err)
	}
	return nil, "", fmt.Errorf("serve readers: %w", errors.Join(errs...))
}

func listenAt(p string) (net.Listener, error) {
	if err := ensureDir(filepath.Dir(p)); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(p); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", p)
		}
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", p)
	if err != nil {
		return nil, err
	}
	// The store's data is its owner's only: same permissions as the file.
	if err := os.Chmod(p, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
