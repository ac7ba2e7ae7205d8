// Package natstest starts embedded JetStream servers for tests: a real
// nats-server in the test process on a per-test directory, never a mock.
package natstest

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
)

// Start runs an embedded server on a fresh t.TempDir() and shuts it down
// (releasing its files before the directory is removed) when the test ends.
func Start(t testing.TB, opts ...natsbus.EmbeddedOption) *natsbus.Embedded {
	t.Helper()
	return StartIn(t, t.TempDir(), opts...)
}

// StartIn is Start on a given store directory, for restart tests. Close the
// returned server to restart another on the same directory.
func StartIn(t testing.TB, dir string, opts ...natsbus.EmbeddedOption) *natsbus.Embedded {
	t.Helper()
	e, err := natsbus.StartEmbedded(dir, opts...)
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Conn opens an in-process client connection to e, closed when the test ends.
func Conn(t testing.TB, e *natsbus.Embedded, name string) *nats.Conn {
	t.Helper()
	nc, err := e.Connect(name, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("connect to embedded nats: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// JobKey is a fixed job key for tests' dispatchers; Trust trusts it.
var JobKey = func() fleet.JobKey {
	k, err := fleet.NewJobKey([]byte("automl natstest job key 32 bytes"))
	if err != nil {
		panic(err)
	}
	return k
}()

// Trust is what tests' workers trust: JobKey.
var Trust = fleet.Trust{JobKey.Public()}

// SmallDisk mounts a tmpfs of the given size ("300m") on dir (made if
// missing) and unmounts it when the test ends (after the servers started
// later have stopped). It needs root (CAP_SYS_ADMIN); when mounting is
// impossible it returns why ("" when mounted).
func SmallDisk(t testing.TB, dir, size string) (why string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("mount -t tmpfs: %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, bytes.TrimSpace(out))
		}
	})
	return ""
}

// ReadOnlyDisk mounts a small read-only filesystem on dir, as SmallDisk
// does (root cannot be kept from writing a directory otherwise).
func ReadOnlyDisk(t testing.TB, dir string) (why string) {
	t.Helper()
	if why := SmallDisk(t, dir, "1m"); why != "" {
		return why
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		return fmt.Sprintf("mount -o remount,ro: %v: %s", err, bytes.TrimSpace(out))
	}
	return ""
}

// FillDisk writes a file in dir until its filesystem is full, and returns
// the function that removes it (also called when the test ends).
func FillDisk(t testing.TB, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("fill %s: %v", dir, err)
	}
	buf := make([]byte, 1<<20)
	for n := len(buf); n > 0; n /= 2 {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	_ = f.Close()
	var once sync.Once
	free = func() {
		once.Do(func() {
			if err := os.Remove(path); err != nil {
				t.Errorf("free %s: %v", dir, err)
			}
		})
	}
	t.Cleanup(free)
	return free
}
