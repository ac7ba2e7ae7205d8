package secretfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckRefusesFilesOthersMayOpen(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes do not describe access on Windows")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fs.FileMode{0o600, 0o400, 0o700} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := Check("TLS private key", path); err != nil {
			t.Errorf("mode %04o: %v, want nil", mode, err)
		}
	}
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o610} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		err := Check("TLS private key", path)
		if !errors.Is(err, ErrExposed) {
			t.Fatalf("mode %04o: %v, want ErrExposed", mode, err)
		}
		for _, want := range []string{"TLS private key " + path, fmt.Sprintf("mode %04o,", mode), "chmod 600 " + path} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("mode %04o: %q lacks %q", mode, err, want)
			}
		}
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pem")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := Check("seed", link); !errors.Is(err, ErrExposed) {
		t.Errorf("a link to a 0644 file: %v, want ErrExposed (the target's mode counts)", err)
	}
	if err := Check("seed", filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "seed: ") {
		t.Errorf("missing file: %v, want a not-exist error naming what it is", err)
	}
}

func TestCheckQuotesTheFix(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes do not describe access on Windows")
	}
	path := filepath.Join(t.TempDir(), "my key's.pem")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := `chmod 600 '` + strings.ReplaceAll(path, "'", `'\''`) + `'`
	if err := Check("key", path); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %v, want it to end with %s", err, want)
	}
}

func TestWriteIsPrivateAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new" {
		t.Fatalf("read back %q %v", b, err)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary left)", len(ents))
	}
}
