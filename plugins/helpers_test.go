package plugins_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"automl/plugins"
	_ "automl/plugins/exec"
	"automl/plugins/funcs"
	"automl/plugins/internal/proc"
	"automl/search/value"
	"automl/trial"
	"automl/trial/triallog"
)

// The test binary is its own plugin: run as `TEST plugin serve NAME` it
// serves a built-in (the behaviours below, exec, funcs), and with
// AUTOML_TEST_ROLE=host (or stray-host, next-worker) it is a worker that
// tests SIGKILL.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "plugin" && os.Args[2] == "serve" {
		if err := plugins.ServeBuiltin(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	switch os.Getenv("AUTOML_TEST_ROLE") {
	case "host":
		runHost()
		return
	case "stray-host":
		runStrayHost()
		return
	case "next-worker":
		fmt.Println(plugins.Containment())
		return
	}
	os.Exit(m.Run())
}

func init() {
	reg := func(name string, f trial.RunnerFunc) {
		plugins.RegisterBuiltin(name, func() trial.Runner { return f })
	}
	plugins.RegisterBuiltin("funcs", func() trial.Runner { return funcs.Runner{} })
	// t-echo returns the numeric params as metrics, and its pid.
	reg("t-echo", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		m := trial.Metrics{"pid": float64(os.Getpid()), "id": float64(spec.Key.ID)}
		for _, nv := range spec.Params {
			if x, ok := nv.Value.Float(); ok {
				m[nv.Name] = x
			}
		}
		if b, _ := spec.Params.Get("panic"); b == value.Bool(true) {
			panic(fmt.Sprintf("boom in trial %d", spec.Key.ID))
		}
		return trial.Result{Outcome: trial.ExitDone, Metrics: m, Step: spec.To}, nil
	})
	// t-steps reports loss = 1/step for steps From+1..To, sleeping
	// params.sleep_ms between steps, and obeys directives and ctx.
	reg("t-steps", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		pause := time.Duration(spec.Params.Int("sleep_ms", 0)) * time.Millisecond
		var last float64
		for s := spec.From + 1; s <= spec.To; s++ {
			select {
			case <-ctx.Done():
				return trial.Result{Outcome: trial.ExitAborted, Step: last}, nil
			case <-time.After(pause):
			}
			d, err := rep.Report(ctx, s, trial.Metrics{"loss": 1 / s})
			if err != nil {
				return trial.Result{}, err
			}
			last = s
			if d == trial.Stop {
				return trial.Result{Outcome: trial.ExitPruned, Step: s, Metrics: trial.Metrics{"loss": 1 / s}}, nil
			}
		}
		return trial.Result{Outcome: trial.ExitDone, Step: last, Metrics: trial.Metrics{"loss": 1 / last}}, nil
	})
	// t-wait reports once, then waits for ctx (a cooperative long trial).
	reg("t-wait", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if _, err := rep.Report(ctx, 1, trial.Metrics{"pid": float64(os.Getpid())}); err != nil {
			return trial.Result{}, err
		}
		<-ctx.Done()
		return trial.Result{Outcome: trial.ExitAborted, Step: 1}, nil
	})
	// t-loop spins forever, ignoring ctx (a hung trainer burning CPU).
	reg("t-loop", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		rep.Report(ctx, 1, trial.Metrics{"pid": float64(os.Getpid())})
		for x := 0; ; x++ {
			if x < 0 {
				return trial.Result{}, nil
			}
		}
	})
	// t-block sleeps forever, ignoring ctx (a hung trainer).
	reg("t-block", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		rep.Report(ctx, 1, trial.Metrics{"pid": float64(os.Getpid())})
		select {}
	})
	// t-big sends a report of about 200 KiB.
	reg("t-big", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		m := trial.Metrics{}
		for i := range 10000 {
			m[fmt.Sprintf("metric_%05d", i)] = float64(i)
		}
		rep.Report(ctx, 1, m)
		return trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": 1}}, nil
	})
	// t-nan reports a NaN loss (a diverged run), or returns an infinite one
	// when params.in_result is true.
	reg("t-nan", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if b, _ := spec.Params.Get("in_result"); b == value.Bool(true) {
			return trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": math.Inf(1)}}, nil
		}
		d, err := rep.Report(ctx, 1, trial.Metrics{"loss": math.NaN()})
		if err != nil {
			return trial.Result{}, err
		}
		if d != trial.Stop {
			return trial.Result{}, errors.New("t-nan: host did not answer a NaN report with stop")
		}
		return trial.Result{Outcome: trial.ExitPruned, Step: 1}, nil
	})
	// t-env returns its environment in the Checkpoint field, and its pid.
	reg("t-env", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		return trial.Result{Outcome: trial.ExitDone, Checkpoint: strings.Join(os.Environ(), "\n"), Metrics: trial.Metrics{"x": 1, "pid": float64(os.Getpid())}}, nil
	})
	// t-errors returns the error params.kind asks for.
	reg("t-errors", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		switch spec.Params.String("kind", "") {
		case "lost":
			return trial.Result{Outcome: trial.ExitLost}, fmt.Errorf("the GPU fell off the bus: %w", trial.ErrLost)
		case "nometrics":
			return trial.Result{Outcome: trial.ExitCrashed}, fmt.Errorf("the script printed nothing: %w", trial.ErrNoMetrics)
		}
		return trial.Result{Outcome: trial.ExitCrashed, Error: "bad"}, errors.New("plain failure")
	})
	// t-print prints its trial id in every way a Go plugin prints: to
	// os.Stdout and os.Stderr (go-plugin's stdio stream), through the log
	// package (the process's own stderr), and into the trial's log
	// (triallog.Printf), last of all just before it returns. With
	// params.panic it panics after printing.
	reg("t-print", func(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
		id := spec.Key.ID
		fmt.Fprintf(os.Stdout, "stdout of trial %d\n", id)
		fmt.Fprintf(os.Stderr, "stderr of trial %d\n", id)
		log.Printf("log package in trial %d", id)
		triallog.Printf(rep, "progress of trial %d", id)
		fmt.Fprintf(os.Stderr, "%sa warning of trial %d\n", plugins.WarningPrefix, id)
		if b, _ := spec.Params.Get("panic"); b == value.Bool(true) {
			panic(fmt.Sprintf("boom in trial %d", id))
		}
		fmt.Fprintf(os.Stderr, "last words of trial %d", id) // no newline: the end marker ends it
		return trial.Result{Outcome: trial.ExitDone, Metrics: trial.Metrics{"loss": 1}}, nil
	})
	// t-noisy prints to stdout before serving, which breaks the handshake.
	plugins.RegisterBuiltin("t-noisy", func() trial.Runner {
		fmt.Println("loading weights from /models/big.bin")
		return trial.RunnerFunc(nil)
	})
}

// selfExe is the test binary, which serves the test plugins.
func selfExe(t testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return exe
}

// builtinConfig starts the test binary serving the named built-in.
func builtinConfig(t testing.TB, name string) plugins.Config {
	return plugins.Config{
		Path:      selfExe(t),
		Args:      []string{"plugin", "serve", name},
		Env:       plugins.BaseEnv(),
		StopGrace: 300 * time.Millisecond,
	}
}

func open(t testing.TB, cfg plugins.Config) *plugins.Plugin {
	t.Helper()
	p, err := plugins.Open(cfg)
	if err != nil {
		t.Fatalf("open %v: %v", cfg.Args, err)
	}
	t.Cleanup(p.Kill)
	return p
}

func spec(plugin string, id int, params ...value.NamedValue) trial.Spec {
	return trial.Spec{
		Key:     trial.Key{Study: "s", ID: id, Attempt: 1},
		Params:  params,
		Trainer: trial.Trainer{Plugin: plugin},
	}
}

func param(name string, v value.Value) value.NamedValue {
	return value.NamedValue{Name: name, Value: v}
}

// reporter records reports and answers with decide (continue when nil).
type reporter struct {
	mu      sync.Mutex
	steps   []float64
	metrics []trial.Metrics
	decide  func(step float64, m trial.Metrics) trial.Directive
}

func (r *reporter) Report(ctx context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	r.mu.Lock()
	r.steps = append(r.steps, step)
	r.metrics = append(r.metrics, m)
	decide := r.decide
	r.mu.Unlock()
	if decide != nil {
		return decide(step, m), nil
	}
	return trial.Continue, nil
}

// logReporter is a reporter that keeps the trial's log, as a worker's does.
type logReporter struct {
	reporter
	lines []triallog.Line
}

func (r *logReporter) AddLine(l triallog.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, l)
}

// texts is the log so far, as "stream: text" lines.
func (r *logReporter) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		out = append(out, l.Stream.String()+": "+l.Text)
	}
	return out
}

func (r *reporter) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.steps)
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// others lists the live members of pid's session other than pid itself.
func others(pid int) []int {
	var out []int
	for _, p := range proc.SessionMembers(pid) {
		if p != pid {
			out = append(out, p)
		}
	}
	return out
}

// children lists this process's live (non-zombie) child processes.
func children() []int {
	return proc.Children(os.Getpid())
}

// assertSessionGone checks in /proc that nothing of the session led by pid
// is alive.
func assertSessionGone(t testing.TB, pid int) {
	t.Helper()
	eventually(t, 5*time.Second, fmt.Sprintf("session %d still has live processes", pid), func() bool {
		return !proc.Alive(pid) && len(proc.SessionMembers(pid)) == 0 && len(proc.GroupMembers(pid)) == 0
	})
}
