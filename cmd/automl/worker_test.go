package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// fakeNvidiaSMI puts an nvidia-smi on a PATH that lists four GPUs.
func fakeNvidiaSMI(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	script := `#!/bin/sh
case "$*" in
  *--query-gpu=index,uuid,name,memory.total*--format=csv,noheader*) ;;
  *) echo "fake nvidia-smi: unexpected arguments: $*" >&2; exit 9 ;;
esac
echo "0, GPU-00000000-aaaa, NVIDIA H100 80GB HBM3, 81559 MiB"
echo "1, GPU-11111111-bbbb, NVIDIA H100 80GB HBM3, 81559 MiB"
echo "2, GPU-22222222-cccc, NVIDIA H100 80GB HBM3, 81559 MiB"
echo "3, GPU-33333333-dddd, NVIDIA H100 80GB HBM3, 81559 MiB"
`
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")
}

// A worker on a machine with four GPUs (a fake nvidia-smi) and two GPUs per
// trial runs two slots; each trial's trainer sees its slot's GPUs in
// CUDA_VISIBLE_DEVICES, and its record shows the worker, the GPUs and the
// attempt.
func TestWorkerPinsTrialsToGPUs(t *testing.T) {
	dir := t.TempDir()
	script := `v=${CUDA_VISIBLE_DEVICES:-none}
sleep 0.2
echo "{\"step\": 1, \"value\": 1, \"gpu_first\": ${v%%,*}, \"gpu_last\": ${v##*,}}"
`
	if err := os.WriteFile(filepath.Join(dir, "gpu.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	space := fmt.Sprintf(`study: gpus
objective: {metric: value, direction: minimize}
budget: {trials: 6}
algorithm: {name: random, seed: 1}
trainer: {plugin: exec, config: {command: [sh, gpu.sh], workdir: %q}}
parameters:
  x: {type: float, low: 0, high: 1}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--parallel", "2")
	w := startAutomlEnv(t, dir, "worker", []string{fakeNvidiaSMI(t)}, append([]string{"worker", "--gpus-per-trial", "2", "--name", "gpubox"}, joinFlags(t, dir, port)...)...)
	if code := search.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s\nworker:\n%s", code, tailFile(search.log, 20), tailFile(w.log, 20))
	}
	if !strings.Contains(w.logText(), "2 GPU slots of 2 GPU(s) each") {
		t.Errorf("worker log does not show its GPU slots:\n%s", tailFile(w.log, 10))
	}
	trs, _ := fleetTrials(t, dir, "gpus")
	if len(trs) != 6 {
		t.Fatalf("%d trials", len(trs))
	}
	for _, tr := range trs {
		okGPUs := slices.Equal(tr.GPUs, []string{"0", "1"}) || slices.Equal(tr.GPUs, []string{"2", "3"})
		seen := []string{fmt.Sprint(tr.Metrics["gpu_first"]), fmt.Sprint(tr.Metrics["gpu_last"])}
		if tr.State != "completed" || tr.Worker != "gpubox" || tr.Attempt != 1 || !okGPUs || !slices.Equal(seen, tr.GPUs) {
			t.Errorf("trial %d: %s on %q GPUs %v attempt %d, trainer saw CUDA_VISIBLE_DEVICES %v", tr.ID, tr.State, tr.Worker, tr.GPUs, tr.Attempt, seen)
		}
	}
	w.signal(t, syscall.SIGTERM)
	if code := w.wait(t, 30*time.Second); code != 0 {
		t.Errorf("worker exited %d after SIGTERM", code)
	}
}

// automl search --listen and two automl worker processes complete a study
// (the README's fleet on one machine).
func TestListenWithTwoWorkers(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "listen", 40, 20*time.Millisecond)
	port := freePort(t)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--parallel", "4")
	ws := &workerSet{t: t, dir: dir, args: append([]string{"--gpus", "none", "--slots", "2"}, joinFlags(t, dir, port)...)}
	ws.add()
	ws.add()
	if code := search.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s", code, tailFile(search.log, 20))
	}
	ws.stopAll(t)
	trs, _ := fleetTrials(t, dir, "listen")
	byWorker := map[string]int{}
	for _, tr := range trs {
		if tr.State == "completed" {
			byWorker[tr.Worker]++
		}
	}
	if byWorker["w1"]+byWorker["w2"] != 40 || byWorker["w1"] == 0 || byWorker["w2"] == 0 {
		t.Fatalf("completed trials by worker: %v; want all 40 shared by w1 and w2", byWorker)
	}
}

// A server that requires credentials refuses a worker without them at
// once, with a clear error (exit 2); the same worker with credentials from
// the environment (AUTOML_NATS_*) runs the study.
func TestWorkerWithoutCredentialsRefused(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "auth", 4, 0)
	port := freePort(t)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	search := startAutomlEnv(t, dir, "search", []string{"AUTOML_NATS_USER=fleet", "AUTOML_NATS_PASSWORD=s3cret"},
		"search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--parallel", "2")
	waitPort(t, port)
	start := time.Now()
	out, errOut, code := automl(t, dir, append([]string{"worker", "--nats", url, "--gpus", "none", "--slots", "1"}, trustFlag(t, dir)...)...)
	if code != exitUsage || !strings.Contains(errOut, "Authorization Violation") && !strings.Contains(strings.ToLower(errOut), "authorization violation") {
		t.Fatalf("worker without credentials: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("refused in %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(errOut))
	w := startAutomlEnv(t, dir, "worker", []string{"AUTOML_NATS_USER=fleet", "AUTOML_NATS_PASSWORD=s3cret"}, append([]string{"worker", "--nats", url, "--gpus", "none", "--slots", "1"}, trustFlag(t, dir)...)...)
	if code := search.wait(t, time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s\nworker:\n%s", code, tailFile(search.log, 20), tailFile(w.log, 20))
	}
	w.signal(t, syscall.SIGTERM)
	w.wait(t, 30*time.Second)
}

// SIGTERM: a worker takes no new trial and lets its running one finish
// within --grace; past the grace it hands the trial back (another worker
// runs it) and still exits 0.
func TestWorkerSIGTERMGrace(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "grace", 2, 2*time.Second)
	port := freePort(t)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--workers", "0", "--parallel", "1")
	worker := func(name, grace string) *proc {
		return startAutoml(t, dir, "worker-"+name, append([]string{"worker", "--gpus", "none", "--slots", "1", "--name", name, "--grace", grace}, joinFlags(t, dir, port)...)...)
	}
	runningOn := func(id int, name string) func() bool {
		return func() bool {
			trs, ok := fleetTrials(t, dir, "grace")
			return ok && len(trs) > id && trs[id].State == "running" && trs[id].Worker == name
		}
	}
	a := worker("a", "30s")
	waitFor(t, time.Minute, "trial 0 on a", runningOn(0, "a"))
	a.signal(t, syscall.SIGTERM)
	if code := a.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("a exited %d", code)
	}
	b := worker("b", "100ms")
	waitFor(t, time.Minute, "trial 1 on b", runningOn(1, "b"))
	b.signal(t, syscall.SIGTERM)
	sent := time.Now()
	if code := b.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("b exited %d", code)
	}
	bTook := time.Since(sent)
	c := worker("c", "30s")
	if code := search.wait(t, time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s", code, tailFile(search.log, 20))
	}
	c.signal(t, syscall.SIGTERM)
	c.wait(t, 30*time.Second)
	trs, _ := fleetTrials(t, dir, "grace")
	if trs[0].State != "completed" || trs[0].Worker != "a" || trs[0].Delivery != 1 {
		t.Errorf("trial 0: %+v; want finished by a within its grace", trs[0])
	}
	if trs[1].State != "completed" || trs[1].Worker != "c" || trs[1].Delivery != 2 {
		t.Errorf("trial 1: %+v; want handed back by b and run by c", trs[1])
	}
	if bTook > 1500*time.Millisecond {
		t.Errorf("b took %v to exit with a 100ms grace (its trial needs 2s)", bTook)
	}
}

// automl stop ends a running trial and a queued one as stopped (never
// re-run), reports unknown trials, and stops the whole study on request.
func TestStopCommand(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "stopme", 6, time.Second)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--workers", "1")
	waitFor(t, time.Minute, "trial 0 running", func() bool {
		trs, ok := fleetTrials(t, dir, "stopme")
		return ok && len(trs) > 1 && trs[0].State == "running"
	})
	out, errOut, code := automl(t, dir, "stop", "stopme", "0", "1", "99")
	if code != exitUsage || !strings.Contains(out, "stopping running trial(s) 0") || !strings.Contains(out, "stopped trial(s) 1") || !strings.Contains(errOut, "no trial 99") {
		t.Fatalf("stop 0 1 99: exit %d\n%s%s", code, out, errOut)
	}
	waitFor(t, time.Minute, "trial 0 stopped", func() bool {
		trs, ok := fleetTrials(t, dir, "stopme")
		return ok && trs[0].State == "stopped"
	})
	if out, errOut, code := automl(t, dir, "stop", "stopme"); code != 0 || !strings.Contains(out, "stopping; running trials finish") {
		t.Fatalf("stop study: exit %d\n%s%s", code, out, errOut)
	}
	if code := search.wait(t, time.Minute); code != exitInterrupted {
		t.Fatalf("search exited %d after automl stop, want %d", code, exitInterrupted)
	}
	trs, _ := fleetTrials(t, dir, "stopme")
	for _, tr := range trs[:2] {
		if tr.State != "stopped" || tr.Note != "stopped by the user" || tr.Attempt != 1 {
			t.Errorf("trial %d: %s (%q), attempt %d; want stopped by the user, never re-run", tr.ID, tr.State, tr.Note, tr.Attempt)
		}
	}
	if n := len(evaluations(t, dir)[1]); n != 0 {
		t.Errorf("stopped queued trial 1 ran %d times", n)
	}
	_, errOut, code = automl(t, dir, "stop", "stopme", "2")
	if code != exitUsage || !strings.Contains(errOut, "no automl search is running") {
		t.Fatalf("stop with no search running: exit %d: %s", code, errOut)
	}
}

func TestNATSFlagsFromEnvironment(t *testing.T) {
	t.Setenv("AUTOML_NATS_URL", "nats://env:4222")
	t.Setenv("AUTOML_NATS_TOKEN", "from-env")
	t.Setenv("AUTOML_NATS_TLS_CA", "ca.pem")
	cmd := newWorkerCmd()
	if err := cmd.ParseFlags([]string{"--token", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	var f natsFlags
	f.creds.Token = "from-flag"
	f.resolve(cmd)
	if f.url != "nats://env:4222" || f.creds.Token != "from-flag" || f.creds.TLSCA != "ca.pem" {
		t.Fatalf("resolved %+v; want the URL and CA from the environment, the token from the flag", f)
	}
	f.creds.User = "only-user"
	if _, err := f.options(); !errors.As(err, new(usageError)) {
		t.Fatalf("user without password: %v, want a usage error", err)
	}
}

func TestWorkerAndStopHelp(t *testing.T) {
	for _, c := range []string{"worker", "stop"} {
		out, _, code := automl(t, t.TempDir(), c, "--help")
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "automl "+c) || !strings.Contains(out, "AUTOML_NATS_URL") {
			t.Errorf("automl %s --help lacks examples or the environment variables (exit %d):\n%s", c, code, out)
		}
	}
}

// A key others may read stops worker, stop and search (its embedded
// server) at once, with exit 2 and the fix, before anything connects.
func TestCredentialFileOthersMayReadIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes do not describe access on Windows")
	}
	dir := t.TempDir()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "worker.nk")
	if err := os.WriteFile(path, seed, 0o644); err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	for _, args := range [][]string{
		{"worker", "--nats", "nats://127.0.0.1:1", "--gpus", "none", "--slots", "1", "--nkey", path},
		{"stop", "somestudy", "--nats", "nats://127.0.0.1:1", "--nkey", path},
		{"search", "-space", filepath.Join(root, "examples/quickstart/space.yaml"), "--nkey", path},
	} {
		_, errOut, code := automl(t, dir, args...)
		if code != exitUsage || !strings.Contains(errOut, "nkey seed "+path+" has mode 0644") || !strings.Contains(errOut, "chmod 600 "+path) {
			t.Errorf("automl %s with a 0644 seed: exit %d, %q; want exit 2 naming the file, its mode and chmod 600", args[0], code, errOut)
		}
	}
}
