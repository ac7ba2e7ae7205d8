package natsbus_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/memory"
	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/plugins/funcs"
	"automl/scheduler"
	_ "automl/search/random"
	"automl/spacefile"
	"automl/trial"
)

// healLease is the jobs' lease in the healing tests: the scheduler checks
// its jobs every lease, so a vanished job runs again within two.
const healLease = time.Second

// study runs a study of n trials (each sleeping a little) through a real
// scheduler, dispatcher and worker on an embedded server; fault runs once
// the study is under way and returns when it struck. It returns the
// study's records, how many times each trial ran, and how long after the
// fault the study ended.
func healStudy(t *testing.T, n int, fault func(t *testing.T, nc *nats.Conn)) ([]trial.Record, map[int]int, time.Duration) {
	t.Helper()
	_, nc := server(t)
	f, err := spacefile.Parse("space.yaml", []byte(fmt.Sprintf(`study: heal
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 3}
trainer: {plugin: funcs, config: {function: branin, sleep: 20ms}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`, n)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := natsbus.NewDispatcher(context.Background(), nc, "heal", natsbus.DispatcherOptions{AckWait: healLease, PruneEvery: 100 * time.Millisecond, Pools: []string{trial.DefaultPool}, Logger: quiet(), JobKey: natstest.JobKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	var mu sync.Mutex
	runs := map[int]int{}
	startWorker(t, nc, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		res, err := funcs.Runner{}.Run(ctx, s, rep)
		if err == nil {
			mu.Lock()
			runs[s.Key.ID]++
			mu.Unlock()
		}
		return res, err
	}), natsbus.WorkerOptions{Slots: 2, AckWait: healLease})
	store := memory.New()
	var done atomic.Int32
	s, err := scheduler.New(scheduler.Config{File: f, Store: store, Dispatcher: d, Slots: 2, Queue: 4,
		Progress: func(p scheduler.Progress) { done.Store(int32(p.Completed)) }})
	if err != nil {
		t.Fatal(err)
	}
	var struck time.Time
	go func() {
		eventually(t, "the study under way", func() bool { return done.Load() >= int32(n/4) })
		fault(t, nc)
		struck = time.Now()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != scheduler.StudyDone {
		t.Fatalf("study %s: %s", sum.Status, sum.Reason)
	}
	st, err := store.Load(context.Background(), "heal")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return st.Trials, runs, time.Since(struck)
}

// checkHealed asserts the study's invariants: every trial completed, none
// counted twice (one record each, one completion each).
func checkHealed(t *testing.T, what string, n int, recs []trial.Record, runs map[int]int, after time.Duration) {
	t.Helper()
	completed, lost := 0, 0
	for _, r := range recs {
		if r.State == trial.Completed {
			completed++
		}
		lost += r.Lost
	}
	t.Logf("FIGURE %s: %d trials, %d completed, %d re-run as lost, study ended %v after the fault", what, n, completed, lost, after.Round(10*time.Millisecond))
	if len(recs) != n || completed != n {
		t.Fatalf("%s: %d records, %d completed; want %d and %d", what, len(recs), completed, n, n)
	}
}

func jsOf(t *testing.T, nc *nats.Conn) jetstream.JetStream { return js(t, nc) }

// The jobs stream is purged under a running study: the queued jobs are
// gone, and the scheduler runs them again (as lost) without a restart.
func TestHealsAPurgedJobStream(t *testing.T) {
	const n = 40
	recs, runs, after := healStudy(t, n, func(t *testing.T, nc *nats.Conn) {
		s, err := jsOf(t, nc).Stream(context.Background(), natsbus.TrialsStream)
		if err != nil {
			t.Error(err)
			return
		}
		if err := s.Purge(context.Background()); err != nil {
			t.Error(err)
		}
	})
	checkHealed(t, "purged jobs stream", n, recs, runs, after)
}

// A rogue client takes jobs and acks them without running them: each
// such trial runs again as lost.
func TestHealsJobsAckedWithoutAResult(t *testing.T) {
	const n = 40
	var taken atomic.Int32
	recs, runs, after := healStudy(t, n, func(t *testing.T, nc *nats.Conn) {
		cons, err := jsOf(t, nc).Consumer(context.Background(), natsbus.TrialsStream, natsbus.WorkerConsumer(trial.DefaultPool))
		if err != nil {
			t.Error(err)
			return
		}
		for range 3 {
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
			if err != nil {
				t.Error(err)
				return
			}
			for m := range batch.Messages() {
				_ = m.Ack()
				taken.Add(1)
			}
		}
	})
	checkHealed(t, fmt.Sprintf("%d jobs acked without a result", taken.Load()), n, recs, runs, after)
	lost := 0
	for _, r := range recs {
		lost += r.Lost
	}
	if lost < int(taken.Load()) {
		t.Errorf("%d trials re-run as lost, want at least the %d jobs taken", lost, taken.Load())
	}
}

// The scheduler's event consumer and the pool's job consumer are deleted
// under a running study: both are set up again and the study goes on.
func TestHealsDeletedConsumers(t *testing.T) {
	const n = 40
	recs, runs, after := healStudy(t, n, func(t *testing.T, nc *nats.Conn) {
		j := jsOf(t, nc)
		ctx := context.Background()
		evs, err := j.Stream(ctx, natsbus.EventsStream)
		if err != nil {
			t.Error(err)
			return
		}
		lister := evs.ListConsumers(ctx)
		var names []string
		for info := range lister.Info() {
			names = append(names, info.Name)
		}
		for _, name := range names {
			if err := j.DeleteConsumer(ctx, natsbus.EventsStream, name); err != nil {
				t.Error(err)
			}
		}
		if err := j.DeleteConsumer(ctx, natsbus.TrialsStream, natsbus.WorkerConsumer(trial.DefaultPool)); err != nil {
			t.Error(err)
		}
	})
	checkHealed(t, "deleted consumers", n, recs, runs, after)
}
