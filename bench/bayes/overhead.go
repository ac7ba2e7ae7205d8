package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"

	"automl/search"
	"automl/search/benchfn"
	"automl/search/gp"
	"automl/search/tpe"
)

// overheadHistory is n random points of Hartmann-6, all complete.
func overheadHistory(space *search.Space, n int) *search.History {
	f, _ := benchfn.Get("hartmann6")
	rng := rand.New(rand.NewPCG(7, 7))
	h := &search.History{}
	u := make([]float64, space.Dim())
	for i := 0; i < n; i++ {
		for k := range u {
			u[k] = rng.Float64()
		}
		p := space.Decode(u)
		v, _ := f.Eval(space.Values(p))
		h.Add(search.Observation{ID: i, Point: p, Status: search.Complete, Loss: v, HasLoss: true})
	}
	return h
}

// timing of suggestions: cold (fresh sampler: the GP fits its
// hyperparameters), warm (cached fit), and the mean over a sequential run of
// window suggestions starting at n observations, each result added before
// the next suggestion (refits happen as they would in a study).
type timing struct{ cold, warm, seq, seqCPU, seqThread time.Duration }

// cpuTime is user+system CPU time so far, of the process (every goroutine:
// gonum's parallel kernels and the GC included) or of the calling OS
// thread (RUSAGE_THREAD; the caller locks its goroutine to the thread).
// Unlike wall time, neither grows while other processes hold the cores.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const rusageThread = 1 // RUSAGE_THREAD (Linux)

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func measure(newSampler func() search.Sampler, n, reps, window int) (timing, error) {
	f, _ := benchfn.Get("hartmann6")
	file, err := spaceFor(f, sampler{Algo: "random"}, 0)
	if err != nil {
		return timing{}, err
	}
	space := file.Space
	h := overheadHistory(space, n)
	var t timing
	var colds, warms []time.Duration
	for r := 0; r < reps; r++ {
		s := newSampler()
		rng := rand.New(rand.NewPCG(uint64(r), 1))
		t0 := time.Now()
		if _, err := s.Sample(space, h, rng); err != nil {
			return t, err
		}
		colds = append(colds, time.Since(t0))
		t0 = time.Now()
		if _, err := s.Sample(space, h, rng); err != nil {
			return t, err
		}
		warms = append(warms, time.Since(t0))
	}
	t.cold, t.warm = median(colds), median(warms)
	s := newSampler()
	rng := rand.New(rand.NewPCG(99, 1))
	var total time.Duration
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, th0 := cpuTime(syscall.RUSAGE_SELF), cpuTime(rusageThread)
	for i := 0; i < window; i++ {
		t0 := time.Now()
		p, err := s.Sample(space, h, rng)
		if err != nil {
			return t, err
		}
		total += time.Since(t0)
		v, _ := f.Eval(space.Values(p))
		h.Add(search.Observation{ID: h.Len(), Point: p, Status: search.Complete, Loss: v, HasLoss: true})
	}
	t.seq = total / time.Duration(window)
	t.seqCPU = (cpuTime(syscall.RUSAGE_SELF) - c0) / time.Duration(window)
	t.seqThread = (cpuTime(rusageThread) - th0) / time.Duration(window)
	return t, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// printOverhead measures suggest times in 6-D (Hartmann-6, random history):
// TPE at 1,000 observations next to Optuna's, GP at 300 and 1,000.
func printOverhead(w io.Writer, python string, optuna bool) error {
	fmt.Fprintf(w, "\n### Suggest overhead, 6-D (Hartmann-6 history of random points); this machine\n\n")
	fmt.Fprintf(w, "| sampler | observations | cold (median of 3) | cached fit (median of 3) | mean over 20 sequential suggestions | its CPU time: process / calling thread |\n|---|---|---|---|---|---|\n")
	newTPE := func(mv bool) func() search.Sampler {
		return func() search.Sampler {
			o := tpe.DefaultOptions()
			o.Multivariate = mv
			s, _ := tpe.New(o)
			return s
		}
	}
	newGP := func() search.Sampler { s, _ := gp.New(gp.Options{}); return s }
	rows := []struct {
		name string
		mk   func() search.Sampler
		n    int
	}{
		{"automl-tpe", newTPE(false), 1000},
		{"automl-tpe-mv", newTPE(true), 1000},
		{"automl-gp", newGP, 300},
		{"automl-gp", newGP, 1000},
	}
	ours := map[string]time.Duration{}
	for _, r := range rows {
		t, err := measure(r.mk, r.n, 3, 20)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s / %s |\n", r.name, r.n, ms(t.cold), ms(t.warm), ms(t.seq), ms(t.seqCPU), ms(t.seqThread))
		ours[r.name+strconv.Itoa(r.n)] = t.seq
	}
	if !optuna {
		return nil
	}
	cmd := exec.Command(python, filepath.Join(sourceDir(), "optuna_side.py"), "--overhead", "1000")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("optuna overhead: %w", err)
	}
	var py map[string]float64
	if err := json.Unmarshal(out, &py); err != nil {
		return fmt.Errorf("optuna overhead output %q: %w", out, err)
	}
	fmt.Fprintf(w, "\n| TPE suggest at 1,000 observations, 6-D | automl | Optuna %s | Optuna / automl |\n|---|---|---|---|\n", "3.1")
	for _, k := range []struct{ ours, py string }{{"automl-tpe1000", "tpe"}, {"automl-tpe-mv1000", "tpe-mv"}} {
		o := ours[k.ours]
		p := time.Duration(py[k.py] * float64(time.Second))
		fmt.Fprintf(w, "| %s | %s | %s | %.0fx |\n", k.py, ms(o), ms(p), float64(p)/float64(o))
	}
	return nil
}
