// Package fleet holds the fleet scale benchmarks (issue 5, point 8): they
// run the real automl binary (scheduler, embedded NATS, bbolt on disk) and
// measure throughput, slot utilisation, and the scheduler's CPU and memory
// per trial. They run only under `go test -bench` (see README.md);
// `go test ./...` skips the binary build and runs nothing here.
package fleet

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
	"automl/plugins/funcs"
	"automl/trial"
)

var automlBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run()) // no benchmark asked for: nothing to build
	}
	if bin := os.Getenv("AUTOML_BENCH_BIN"); bin != "" {
		// A binary built elsewhere (bench/sidebyside.sh runs an older
		// revision's beside this one's).
		automlBin = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "automl-fleet-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	automlBin = filepath.Join(dir, "automl")
	build := exec.Command("go", "build", "-o", automlBin, "automl/cmd/automl")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build automl:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeSpace writes a random search over Branin with the funcs trainer.
func writeSpace(b *testing.B, dir string, trials int, sleep time.Duration) {
	space := fmt.Sprintf(`study: bench
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 1}
trainer: {plugin: funcs, config: {function: branin, sleep: %s}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`, trials, sleep)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		b.Fatal(err)
	}
}

type studyInfo struct {
	Seconds float64        `json:"elapsed_seconds"`
	Trials  map[string]int `json:"trials"`
}

func study(b *testing.B, dir string) studyInfo {
	out, err := exec.Command(automlBin, "studies", "--db", filepath.Join(dir, "automl.db"), "--json").Output()
	if err != nil {
		b.Fatal(err)
	}
	var s []studyInfo
	if err := json.Unmarshal(out, &s); err != nil || len(s) != 1 {
		b.Fatalf("studies: %v %s", err, out)
	}
	return s[0]
}

// search runs automl search in dir and returns its resource usage.
func search(b *testing.B, dir string, args ...string) *syscall.Rusage {
	cmd := exec.Command(automlBin, append([]string{"search", "-space", "space.yaml", "-q", "--top", "0"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("automl search: %v\n%s", err, out)
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage)
}

// BenchmarkSlots64 is the sustained end-to-end rate of a study on 64 slots:
// automl search with 64 worker slots, each running its trials in a funcs
// plugin process (kept between trials), embedded NATS, bbolt on disk, a
// trivial objective (Branin, no sleep). AUTOML_BENCH_TRIALS sets the budget
// (default 20,000). Goal: 2,000 trials/s.
func BenchmarkSlots64(b *testing.B) {
	trials := envInt("AUTOML_BENCH_TRIALS", 20000)
	for range b.N {
		dir := b.TempDir()
		writeSpace(b, dir, trials, 0)
		search(b, dir, "--workers", "64")
		s := study(b, dir)
		if s.Trials["completed"] != trials {
			b.Fatalf("%d of %d completed", s.Trials["completed"], trials)
		}
		b.ReportMetric(float64(trials)/s.Seconds, "trials/s")
	}
}

// BenchmarkUtilisation16 is how busy 16 slots stay on 1-second trials:
// the summed time trials ran on workers over 16 x the study's wall time.
// AUTOML_BENCH_ROUNDS trials per slot (default 10). Goal: 97%.
func BenchmarkUtilisation16(b *testing.B) {
	const slots = 16
	rounds := envInt("AUTOML_BENCH_ROUNDS", 10)
	for range b.N {
		dir := b.TempDir()
		writeSpace(b, dir, slots*rounds, time.Second)
		search(b, dir, "--workers", fmt.Sprint(slots))
		s := study(b, dir)
		out, err := exec.Command(automlBin, "trials", "bench", "--db", filepath.Join(dir, "automl.db"), "--json").Output()
		if err != nil {
			b.Fatal(err)
		}
		var tr struct {
			Trials []struct {
				Busy float64 `json:"duration_s"`
			} `json:"trials"`
		}
		if err := json.Unmarshal(out, &tr); err != nil {
			b.Fatal(err)
		}
		var busy float64
		for _, t := range tr.Trials {
			busy += t.Busy
		}
		b.ReportMetric(100*busy/(slots*s.Seconds), "%busy")
		b.ReportMetric(s.Seconds, "wall-s")
	}
}

// BenchmarkSimulated64 is BenchmarkSlots64 without plugin processes: 64
// simulated slots (see simulated) on a 20,000-trial study.
func BenchmarkSimulated64(b *testing.B) { simulated(b, 64) }

// BenchmarkSimulated1000 runs a 20,000-trial study on 1,000 simulated
// slots (see simulated).
func BenchmarkSimulated1000(b *testing.B) { simulated(b, 1000) }

// simulated runs a study (AUTOML_BENCH_TRIALS trials, default 20,000) on
// simulated slots: goroutines of this process running the funcs trainer
// in-process, connected over TCP to automl search --listen (the scheduler,
// its embedded NATS server and bbolt, in their own process). It reports
// trials/s, the automl search process's CPU time per trial (scheduler,
// embedded server and store together) and its peak resident memory.
func simulated(b *testing.B, slots int) {
	trials := envInt("AUTOML_BENCH_TRIALS", 20000)
	for range b.N {
		dir := b.TempDir()
		writeSpace(b, dir, trials, 0)
		port := freePort(b)
		args := []string{"search", "-space", "space.yaml", "-q", "--top", "0",
			"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--parallel", fmt.Sprint(slots)}
		if p := os.Getenv("AUTOML_BENCH_CPUPROFILE"); p != "" {
			args = append(args, "--cpuprofile", p) // for developers: where the scheduler's CPU goes
		}
		cmd := exec.Command(automlBin, args...)
		cmd.Dir = dir
		out, err := os.Create(filepath.Join(dir, "search.log"))
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		stop := simulatedSlots(b, dir, port, slots)
		err = cmd.Wait()
		stop()
		out.Close()
		if err != nil {
			log, _ := os.ReadFile(out.Name())
			b.Fatalf("automl search: %v\n%s", err, log)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		s := study(b, dir)
		if s.Trials["completed"] != trials {
			b.Fatalf("%d of %d completed", s.Trials["completed"], trials)
		}
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		b.ReportMetric(float64(cpu.Microseconds())/float64(trials), "cpu-us/trial")
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MiB")
		b.ReportMetric(float64(trials)/s.Seconds, "trials/s")
	}
}

// simulatedSlots runs a worker of n goroutine slots evaluating trials
// in-process, until the returned stop is called. It joins the fleet of the
// automl search running in dir on port, as automl worker --join does.
func simulatedSlots(b *testing.B, dir string, port, n int) (stop func()) {
	log := slog.New(slog.DiscardHandler)
	var tok fleet.Token
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		data, err := os.ReadFile(filepath.Join(dir, "automl.db.fleet", "token"))
		if err == nil {
			if tok, err = fleet.ParseToken(string(data)); err != nil {
				b.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("no join token from automl search: %v", err)
		}
	}
	tok.URL = fmt.Sprintf("nats://127.0.0.1:%d", port)
	nc, err := natsbus.Join(context.Background(), tok, "sim", log)
	if err != nil {
		b.Fatal(err)
	}
	w, err := natsbus.NewWorker(nc, func(int, trial.Spec) (trial.Runner, error) { return funcs.Runner{}, nil },
		natsbus.WorkerOptions{Slots: n, Name: "sim", Logger: log, FetchWait: 500 * time.Millisecond, MaxAckPending: n, Trust: fleet.Trust{tok.JobKey}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	return func() { cancel(); <-done; nc.Close() }
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil && n > 0 {
			return n
		}
	}
	return def
}
