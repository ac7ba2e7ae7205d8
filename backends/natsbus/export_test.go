package natsbus

import (
	"testing"

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
