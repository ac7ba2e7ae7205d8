package nsga2_test

import (
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"automl/search"
	"automl/search/nsga2"
)

// BenchmarkSuggest is the suggestion overhead of the issue: one proposal
// after 1,000 completed trials of 2-objective ZDT1 in 6 variables (goal:
// under 5 ms).
func BenchmarkSuggest(b *testing.B) {
	space := unitSpace(b, 6)
	rng := rand.New(rand.NewPCG(7, 7))
	h := &search.History{}
	u := make([]float64, space.Dim())
	for i := range 1000 {
		for k := range u {
			u[k] = rng.Float64()
		}
		p := space.Decode(u)
		f := zdt1(space.Encode(p))
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, HasLoss: true, Loss: f[0], Losses: f})
	}
	smp, err := nsga2.New(nsga2.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	// Wall time grows when other processes hold the cores; the CPU time of
	// the benchmark's own thread much less so (reported as thread-ns/op).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	t0 := threadCPU()
	for range b.N {
		if _, err := smp.Sample(space, h, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(threadCPU()-t0)/float64(b.N), "thread-ns/op")
}

// threadCPU is the user+system CPU time of the calling OS thread (Linux
// RUSAGE_THREAD; 0 elsewhere).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
