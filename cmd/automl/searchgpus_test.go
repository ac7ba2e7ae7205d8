package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gpuTrainer writes an exec trainer that records the CUDA_VISIBLE_DEVICES
// it saw and when it ran (runs.txt), and reports its first and last GPU.
func gpuTrainer(t *testing.T, dir, study string, trials int, extra string) {
	t.Helper()
	script := `v=${CUDA_VISIBLE_DEVICES-unset}
s=$(date +%s.%N)
sleep 0.3
echo "$v $s $(date +%s.%N)" >> runs.txt
echo "{\"step\": 1, \"value\": 1, \"gpu_first\": ${v%%,*}, \"gpu_last\": ${v##*,}}"
`
	if err := os.WriteFile(filepath.Join(dir, "gpu.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	space := fmt.Sprintf(`study: %s
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 1}
trainer: {plugin: exec, config: {command: [sh, gpu.sh], workdir: %q}%s}
parameters:
  x: {type: float, low: 0, high: 1}
`, study, trials, dir, extra)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
}

// automl search --gpus on a machine with four GPUs (a fake nvidia-smi)
// gives its own slots GPUs as automl worker does: two GPUs per trial make
// two slots, each trial's trainer sees exactly its slot's GPUs, its
// record names them, and no two trials that ran at once shared a GPU.
func TestSearchGivesItsSlotsGPUs(t *testing.T) {
	dir := t.TempDir()
	gpuTrainer(t, dir, "gpus", 8, "")
	p := startAutomlEnv(t, dir, "search", []string{fakeNvidiaSMI(t)}, "search", "-space", "space.yaml", "--gpus", "all", "--gpus-per-trial", "2")
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s", code, tailFile(p.log, 20))
	}
	if !strings.Contains(p.logText(), "2 GPU slots of 2 GPU(s) each") {
		t.Errorf("the log does not show the GPU slots:\n%s", tailFile(p.log, 20))
	}
	trs, _ := fleetTrials(t, dir, "gpus")
	if len(trs) != 8 {
		t.Fatalf("%d trials, want 8", len(trs))
	}
	for _, tr := range trs {
		okGPUs := slices.Equal(tr.GPUs, []string{"0", "1"}) || slices.Equal(tr.GPUs, []string{"2", "3"})
		seen := []string{fmt.Sprint(tr.Metrics["gpu_first"]), fmt.Sprint(tr.Metrics["gpu_last"])}
		if tr.State != "completed" || !okGPUs || !slices.Equal(seen, tr.GPUs) {
			t.Errorf("trial %d: %s, GPUs %v, its trainer saw CUDA_VISIBLE_DEVICES %v", tr.ID, tr.State, tr.GPUs, seen)
		}
	}
	type run struct {
		gpus       []string
		start, end float64
	}
	var runs []run
	for _, line := range strings.Split(strings.TrimSpace(readFile(filepath.Join(dir, "runs.txt"))), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("runs.txt line %q", line)
		}
		s, err1 := strconv.ParseFloat(f[1], 64)
		e, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("runs.txt line %q", line)
		}
		runs = append(runs, run{strings.Split(f[0], ","), s, e})
	}
	if len(runs) != 8 {
		t.Fatalf("%d trainer runs, want 8", len(runs))
	}
	overlapped := 0
	for i, a := range runs {
		for _, b := range runs[i+1:] {
			if a.start < b.end && b.start < a.end {
				overlapped++
				for _, g := range a.gpus {
					if slices.Contains(b.gpus, g) {
						t.Errorf("two trials ran at once on GPU %s: %v and %v", g, a, b)
					}
				}
			}
		}
	}
	if overlapped == 0 {
		t.Errorf("no two trials ran at once (two slots): %v", runs)
	}
}

// --gpus names what cannot be laid out, at once, with exit status 2.
func TestSearchGPUsRefused(t *testing.T) {
	dir := t.TempDir()
	gpuTrainer(t, dir, "gpus", 2, "")
	env := fakeNvidiaSMI(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--gpus", "7"}, `no GPU "7" on this machine`},
		{[]string{"--gpus", "all", "--gpus-per-trial", "5"}, "--gpus-per-trial 5: only 4 GPUs"},
		{[]string{"--gpus-per-trial", "2"}, "--gpus-per-trial needs --gpus"},
	} {
		p := startAutomlEnv(t, dir, "search", []string{env}, append([]string{"search", "-space", "space.yaml"}, c.args...)...)
		if code := p.wait(t, time.Minute); code != 2 || !strings.Contains(p.logText(), c.want) {
			t.Errorf("search %v: exit %d, want 2 and %q:\n%s", c.args, code, c.want, p.logText())
		}
	}
}
