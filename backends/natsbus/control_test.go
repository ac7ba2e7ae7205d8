package natsbus_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"automl/backends/natsbus"
)

// A request reaches the study's scheduler and brings its answer back;
// with no scheduler running the study it fails with ErrNoScheduler, and a
// request to another study never reaches this one's.
func TestControlRequests(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	if _, err := natsbus.RequestControl(ctx, nc, study, []byte("stop")); !errors.Is(err, natsbus.ErrNoScheduler) {
		t.Fatalf("a request with no scheduler: err %v, want ErrNoScheduler", err)
	}
	var seen [][]byte
	sub, err := natsbus.ServeControl(nc, study, func(_ context.Context, req []byte) []byte {
		seen = append(seen, req)
		return append([]byte("done: "), req...)
	}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	rep, err := natsbus.RequestControl(ctx, nc, study, []byte(`{"op":"budget"}`))
	if err != nil || !bytes.Equal(rep, []byte(`done: {"op":"budget"}`)) || len(seen) != 1 {
		t.Fatalf("reply %q, err %v, the scheduler saw %q", rep, err, seen)
	}
	if _, err := natsbus.RequestControl(ctx, nc, "other", nil); !errors.Is(err, natsbus.ErrNoScheduler) || len(seen) != 1 {
		t.Fatalf("another study's request reached this scheduler: %v", err)
	}
}
