package plugins_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"automl/plugins"
	"automl/plugins/funcs"
	"automl/search/value"
	"automl/trial"
)

// The benchmarks serve funcs from the test binary, or from the automl
// binary named by $AUTOML_BIN (go build -o /tmp/automl ./cmd/automl),
// whose larger init is what workers really pay for built-in trainers.
func pluginBinary(b *testing.B) string {
	if bin := os.Getenv("AUTOML_BIN"); bin != "" {
		return bin
	}
	return selfExe(b)
}

// benchSpec is one trial of the funcs trainer: one evaluation of Branin,
// after sleep (a stand-in for training time; 0: a trivial trial).
func benchSpec(id int, sleep time.Duration, reuse bool) trial.Spec {
	s := spec("funcs", id, param("x0", value.Float(1)), param("x1", value.Float(2)))
	s.Trainer.Config = map[string]any{"function": "branin", "sleep": sleep.String()}
	s.Trainer.Reuse = &reuse
	return s
}

// cpuTimes is the CPU time used so far by this process (the host) and by
// its reaped children (the plugins): on a loaded machine it bounds what a
// launch costs better than wall time does.
func cpuTimes() (host, plugins time.Duration) {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime), tv(kids.Utime) + tv(kids.Stime)
}

func reportCPU(b *testing.B, host0, plugins0 time.Duration) {
	host, plugins := cpuTimes()
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(host-host0), "host-cpu-ms/op")
	b.ReportMetric(per(plugins-plugins0), "plugin-cpu-ms/op")
}

// inProcessTime is the mean wall time of the trial run in-process.
func inProcessTime(b *testing.B, sleep time.Duration) time.Duration {
	const n = 3
	t0 := time.Now()
	for i := range n {
		if _, err := (funcs.Runner{}).Run(context.Background(), benchSpec(i, sleep, true), &reporter{}); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0) / n
}

// BenchmarkTrialOverhead is the per-trial overhead of a plugin trial over
// the same trainer run in-process, the figure issue 4 sets goals for
// (launch and handshake at most 30 ms; with reuse, 300 trials/s per slot).
// Trials run back to back on one slot:
//
//	in-process        funcs.Runner called directly: the floor
//	reused            one kept process (trainer.reuse: true)
//	reused-subreaper  the same in a subreaper box (its sweep at each
//	                  trial's end scans /proc; the default box is a
//	                  cgroup where one can be made)
//	fresh-on-path     a fresh process per trial, launched when the trial
//	                  comes (reuse off, NoPrelaunch): launch and handshake
//	                  on the trial's critical path
//	fresh-prelaunched a fresh process per trial, launched by the slot while
//	                  the trial before ran (reuse off, the default)
//
// for a trivial trial and for one that trains (sleeps) 500 ms, long enough
// for the next process to start in its shadow even on a loaded machine.
// overhead-ms/op is ms/op less the same trial's in-process time, measured
// first. The CPU metrics count plugins when reaped: the fresh-prelaunched
// figures include the one spare left at the end.
func BenchmarkTrialOverhead(b *testing.B) {
	for _, length := range []struct {
		name  string
		sleep time.Duration
	}{{"trivial", 0}, {"500ms", 500 * time.Millisecond}} {
		floor := inProcessTime(b, length.sleep)
		for _, way := range []struct {
			name                                  string
			inProcess, reuse, prelaunch, noCgroup bool
		}{
			{name: "in-process", inProcess: true},
			{name: "reused", reuse: true},
			{name: "reused-subreaper", reuse: true, noCgroup: true},
			{name: "fresh-on-path"},
			{name: "fresh-prelaunched", prelaunch: true},
		} {
			b.Run(length.name+"/"+way.name, func(b *testing.B) {
				var run trial.Runner = funcs.Runner{}
				slot := plugins.NewSlot(plugins.HostOptions{Self: pluginBinary(b), NoPrelaunch: !way.prelaunch, NoCgroup: way.noCgroup})
				if !way.inProcess {
					run = slot
					// The first trial launches the process (and the first
					// spare): not part of the steady state measured.
					if _, err := slot.Run(context.Background(), benchSpec(0, 0, way.reuse), &reporter{}); err != nil {
						b.Fatal(err)
					}
				}
				host0, plugins0 := cpuTimes()
				for i := 0; b.Loop(); i++ {
					if _, err := run.Run(context.Background(), benchSpec(i, length.sleep, way.reuse), &reporter{}); err != nil {
						b.Fatal(err)
					}
				}
				perTrial := b.Elapsed() / time.Duration(b.N)
				slot.Close()
				reportCPU(b, host0, plugins0)
				b.ReportMetric(float64((perTrial-floor).Microseconds())/1000, "overhead-ms/op")
				b.ReportMetric(float64(time.Second)/float64(perTrial), "trials/s")
			})
		}
	}
}

// BenchmarkLaunchHandshake is one launch and handshake of a plugin process
// (AutoMTLS included) with nothing else, then its kill. launch-ms/op is
// the wall time of Open alone; the CPU metrics split host and plugin.
func BenchmarkLaunchHandshake(b *testing.B) {
	cfg := builtinConfig(b, "funcs")
	cfg.Path = pluginBinary(b)
	var launch time.Duration
	host0, plugins0 := cpuTimes()
	for b.Loop() {
		t0 := time.Now()
		p, err := plugins.Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		launch += time.Since(t0)
		p.Kill()
	}
	reportCPU(b, host0, plugins0)
	b.ReportMetric(float64(launch.Microseconds())/1000/float64(b.N), "launch-ms/op")
}
