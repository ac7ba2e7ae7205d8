package natsbus

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// SeedOption authenticates a test client with an NKey seed.
func SeedOption(t testing.TB, seed string) nats.Option {
	t.Helper()
	o, err := seedOption(seed)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// SetFreeSpace makes embedded servers see f as the free space of their
// store's disk, until restore.
func SetFreeSpace(f func(dir string) (int64, error)) (restore func()) {
	old := freeSpace
	freeSpace = f
	return func() { freeSpace = old }
}

// SetCheckEvery sets how often embedded servers started from now on look
// at their store, until restore.
func SetCheckEvery(d time.Duration) (restore func()) {
	old := checkEvery
	checkEvery = d
	return func() { checkEvery = old }
}
