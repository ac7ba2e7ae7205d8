// Package natstest starts embedded JetStream servers for tests: a real
// nats-server in the test process on a per-test directory, never a mock.
package natstest

import (
	"log/slog"
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
