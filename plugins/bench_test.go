package plugins_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"automl/plugins"
	"automl/plugins/funcs"
	"automl/search"
	"automl/trial"
)

// benchSpec is a trivial trial: one evaluation of Branin by the funcs
// trainer, the same work in and out of process.
func benchSpec(id int) trial.Spec {
	s := spec("funcs", id, param("x0", search.Float(1)), param("x1", search.Float(2)))
	s.Trainer.Config = map[string]any{"function": "branin"}
	return s
}

func perSecond(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "trials/s")
}

// cpuTime is the CPU time used so far by this process and its reaped
// children (the plugins): on a loaded machine it bounds what a launch costs
// better than wall time does.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

// benchConfig serves funcs from the test binary, or from the automl binary
// named by $AUTOML_BIN (go build -o /tmp/automl ./cmd/automl), whose larger
// init is what workers really pay.
func benchConfig(b *testing.B) plugins.Config {
	cfg := builtinConfig(b, "funcs")
	if bin := os.Getenv("AUTOML_BIN"); bin != "" {
		cfg.Path = bin
	}
	return cfg
}

// Launch and handshake of a plugin process (AutoMTLS included), then kill.
// ms-launch is the wall time of Open alone; cpu-ms the CPU time of host
// and plugin together per launch and kill.
func BenchmarkLaunchHandshake(b *testing.B) {
	cfg := benchConfig(b)
	var launch time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		p, err := plugins.Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		launch += time.Since(t0)
		p.Kill()
	}
	b.ReportMetric(float64(launch.Microseconds())/1000/float64(b.N), "ms-launch/op")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// One trial in a fresh process: launch, handshake, trial, kill.
func BenchmarkTrialFreshProcess(b *testing.B) {
	cfg := benchConfig(b)
	for i := 0; b.Loop(); i++ {
		p, err := plugins.Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Run(context.Background(), benchSpec(i), &reporter{}); err != nil {
			b.Fatal(err)
		}
		p.Kill()
	}
	perSecond(b)
}

// Trials in one reused process, as a slot with trainer.reuse runs them.
func BenchmarkTrialReusedProcess(b *testing.B) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: benchConfig(b).Path})
	defer slot.Close()
	if _, err := slot.Run(context.Background(), benchSpec(0), &reporter{}); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := slot.Run(context.Background(), benchSpec(i), &reporter{}); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b)
}

// The same trial in-process: the floor the plugin overhead adds to.
func BenchmarkTrialInProcess(b *testing.B) {
	r := funcs.Runner{}
	for i := 0; b.Loop(); i++ {
		if _, err := r.Run(context.Background(), benchSpec(i), &reporter{}); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b)
}
