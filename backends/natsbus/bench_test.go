package natsbus_test

import (
	"context"
	"testing"
	"time"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

const benchSlots = 4

// benchSetup starts a server, a dispatcher and a worker with benchSlots
// no-op slots, and returns the dispatcher and a source of fresh specs.
func benchSetup(b *testing.B, sync bool) (*natsbus.Dispatcher, func() trial.Spec) {
	e := natstest.Start(b, natsbus.WithSyncAlways(sync))
	nc := natstest.Conn(b, e, "scheduler")
	d := newDispatcher(b, nc, natsbus.DispatcherOptions{EventBuffer: 1024, PruneEvery: time.Second})
	startWorker(b, natstest.Conn(b, e, "worker"), runFn(func(context.Context, trial.Spec, trial.Reporter) (trial.Result, error) {
		return trial.Result{Metrics: trial.Metrics{"loss": 1}}, nil
	}), natsbus.WorkerOptions{Slots: benchSlots, FetchWait: time.Second})
	id := 0
	return d, func() trial.Spec { id++; return spec(id, 1) }
}

func syncName(on bool) string {
	if on {
		return "sync=always"
	}
	return "sync=interval"
}

// BenchmarkRoundTrip measures transport throughput: dispatch b.N jobs at
// once, 4 worker slots run them with a no-op runner, and the scheduler side
// consumes and acks every event (started and exited). No store, no
// searcher. Reported as trials/s, with the embedded server fsyncing every
// message (sync=always) and not (sync=interval).
func BenchmarkRoundTrip(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(syncName(sync), func(b *testing.B) {
			d, next := benchSetup(b, sync)
			specs := make([]trial.Spec, b.N)
			for i := range specs {
				specs[i] = next()
			}
			b.ResetTimer()
			start := time.Now()
			if err := d.Dispatch(context.Background(), specs); err != nil {
				b.Fatal(err)
			}
			consume(b, d, b.N, nil)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "trials/s")
		})
	}
}

// BenchmarkPipelined is the scheduler's pattern: a window of 2 jobs per
// slot in flight, and after each batch of events as many new jobs as
// exited, so the job queue runs near empty as in a real study.
func BenchmarkPipelined(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(syncName(sync), func(b *testing.B) {
			d, next := benchSetup(b, sync)
			ctx := context.Background()
			window := min(2*benchSlots, b.N)
			b.ResetTimer()
			start := time.Now()
			var first []trial.Spec
			for range window {
				first = append(first, next())
			}
			if err := d.Dispatch(ctx, first); err != nil {
				b.Fatal(err)
			}
			sent := window
			consume(b, d, b.N, func(exited int) {
				n := min(exited, b.N-sent)
				if n == 0 {
					return
				}
				specs := make([]trial.Spec, n)
				for i := range specs {
					specs[i] = next()
				}
				if err := d.Dispatch(ctx, specs); err != nil {
					b.Fatal(err)
				}
				sent += n
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "trials/s")
		})
	}
}

// consume acks events until n trials exited; after each batch of events
// (what is ready without waiting) it calls step with the batch's exits.
func consume(b *testing.B, d *natsbus.Dispatcher, n int, step func(exited int)) {
	for done := 0; done < n; {
		batch := 0
		in := <-d.Events()
		for {
			in.Ack()
			if in.Event.Kind == trial.Exited {
				batch++
			}
			var ok bool
			select {
			case in, ok = <-d.Events():
			default:
			}
			if !ok {
				break
			}
		}
		done += batch
		if step != nil && batch > 0 {
			step(batch)
		}
	}
}
