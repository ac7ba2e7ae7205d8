package natsbus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestRetryPlacement: stream setup waits out a cluster that cannot place
// a stream yet, gives up after clusterForming with an error that names
// the replicas, and does not retry any other error.
func TestRetryPlacement(t *testing.T) {
	defer func(d time.Duration) { clusterForming = d }(clusterForming)
	clusterForming = time.Second
	noPeers := &jetstream.APIError{Code: 400, ErrorCode: errCodeNoPeers, Description: "no suitable peers for placement"}
	calls := 0
	err := retryPlacement(context.Background(), 3, func() error {
		if calls++; calls < 3 {
			return noPeers
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("a cluster ready at the third try: %v after %d calls", err, calls)
	}
	calls = 0
	err = retryPlacement(context.Background(), 3, func() error { calls++; return noPeers })
	if !errors.Is(err, noPeers) || !strings.Contains(err.Error(), "3 JetStream servers") || calls < 3 {
		t.Fatalf("a cluster never ready: %v after %d calls; want the placement error naming 3 servers, after retries", err, calls)
	}
	calls = 0
	other := errors.New("permission denied")
	if err := retryPlacement(context.Background(), 3, func() error { calls++; return other }); err != other || calls != 1 {
		t.Fatalf("another error: %v after %d calls; want it at once", err, calls)
	}
}
