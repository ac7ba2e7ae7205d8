package natsbus_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"automl/internal/probe"
)

// recorder is a probe.Sink that counts what natsbus reports, by method and
// label ("dropped poison", "redelivered default", "checkpoint saved": bytes).
type recorder struct {
	probe.Sink // the methods natsbus does not call panic (nil)
	mu         sync.Mutex
	n          map[string]float64
}

func (r *recorder) add(key string, v float64) {
	r.mu.Lock()
	r.n[key] += v
	r.mu.Unlock()
}

func (r *recorder) Redelivered(pool string)       { r.add("redelivered "+pool, 1) }
func (r *recorder) LeaseLapsed(pool string)       { r.add("lapsed "+pool, 1) }
func (r *recorder) Reconnected(conn string)       { r.add("reconnected "+conn, 1) }
func (r *recorder) Dropped(reason string)         { r.add("dropped "+reason, 1) }
func (r *recorder) Checkpoint(op string, n int64) { r.add("checkpoint "+op, float64(n)) }

func (r *recorder) get(key string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[key]
}

// atLeast waits until key has reached min (what the hooks report may come
// after the event the test waited for).
func (r *recorder) atLeast(t *testing.T, key string, min float64) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for r.get(key) < min {
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("probe: %s = %v, want at least %v (all: %v)", key, r.n[key], min, fmt.Sprint(r.n))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probes records what the package reports through internal/probe for the
// rest of the test (the package's tests do not run in parallel).
func probes(t *testing.T) *recorder {
	r := &recorder{n: map[string]float64{}}
	t.Cleanup(probe.Set(r))
	return r
}
