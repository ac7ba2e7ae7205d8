package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// automlBin is the automl binary built once for the end-to-end tests.
var automlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "automl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	automlBin = filepath.Join(dir, "automl")
	build := exec.Command("go", "build", "-o", automlBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build automl:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func automl(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(automlBin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

type jsonTrials struct {
	Study  string `json:"study"`
	Trials []struct {
		ID       int     `json:"id"`
		State    string  `json:"state"`
		Value    float64 `json:"value"`
		HasValue bool    `json:"has_value"`
		Attempt  int     `json:"attempt"`
	} `json:"trials"`
}

func trialsJSON(t *testing.T, dir, db, study string) (jsonTrials, bool) {
	t.Helper()
	out, _, code := automl(t, dir, "trials", study, "--db", db, "--json")
	if code != 0 {
		return jsonTrials{}, false
	}
	var tr jsonTrials
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trials --json: %v\n%s", err, out)
	}
	return tr, true
}

func TestQuickstartRunsAndPrintsLeaderboard(t *testing.T) {
	dir := t.TempDir()
	root, _ := filepath.Abs("../..")
	out, errOut, code := automl(t, dir, "search", "-space", filepath.Join(root, "examples/quickstart/space.yaml"), "--trials", "40", "--workers", "2")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"study quickstart: done", "40/40 done", "RANK", "best: trial", "x0:", "x1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "automl.db")); err != nil {
		t.Fatal("no automl.db written:", err)
	}
	// The reporting commands read the finished study.
	out, _, code = automl(t, dir, "report", "quickstart", "--format", "csv", "--top", "3")
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != 4 || !strings.HasPrefix(out, "rank,trial,state,value,x0,x1") {
		t.Errorf("report csv (exit %d):\n%s", code, out)
	}
	out, _, code = automl(t, dir, "studies", "--json")
	if code != 0 || !strings.Contains(out, `"completed": 40`) {
		t.Errorf("studies --json (exit %d):\n%s", code, out)
	}
}

// TestKilledStudyResumesWithNothingLostOrRepeated SIGKILLs automl search
// mid-study, runs the same command again, and checks that the study
// completes, every trial completed before the kill is kept as it was, and
// no trial was evaluated twice (the funcs trainer's audit file records
// every evaluation).
func TestKilledStudyResumesWithNothingLostOrRepeated(t *testing.T) {
	dir := t.TempDir()
	const trials = 60
	space := fmt.Sprintf(`study: killme
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 3}
trainer: {plugin: funcs, config: {function: branin, sleep: 30ms, record: evaluations.jsonl}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`, trials)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"search", "-space", "space.yaml", "--workers", "3"}
	cmd := exec.Command(automlBin, args...)
	cmd.Dir = dir
	var firstErr bytes.Buffer
	cmd.Stderr = &firstErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once some trials have completed (read while it runs).
	var before jsonTrials
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no progress before the deadline; stderr:\n%s", firstErr.String())
		}
		if tr, ok := trialsJSON(t, dir, "automl.db", "killme"); ok && completed(tr) >= 10 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before, ok := trialsJSON(t, dir, "automl.db", "killme")
	if !ok {
		t.Fatal("cannot read the study after the kill")
	}
	if n := completed(before); n >= trials {
		t.Fatalf("the study finished (%d completed) before it was killed; nothing tested", n)
	}

	out, errOut, code := automl(t, dir, args...)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	after, _ := trialsJSON(t, dir, "automl.db", "killme")
	if len(after.Trials) != trials || completed(after) != trials {
		t.Fatalf("after resume: %d trials, %d completed; want %d", len(after.Trials), completed(after), trials)
	}
	kept := map[int]float64{}
	for _, tr := range before.Trials {
		if tr.State == "completed" {
			kept[tr.ID] = tr.Value
		}
	}
	for _, tr := range after.Trials {
		if v, ok := kept[tr.ID]; ok && (v != tr.Value || tr.Attempt != 1) {
			t.Errorf("trial %d completed before the kill changed: value %v -> %v, attempt %d", tr.ID, v, tr.Value, tr.Attempt)
		}
	}
	// Every evaluation in the audit file: a trial completed before the kill
	// appears exactly once. A trial running at the kill may run again (its
	// job is redelivered, as DESIGN's at-least-once delivery has it), but
	// its record counts one result.
	evals := map[int][]int{}
	f, err := os.Open(filepath.Join(dir, "evaluations.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e struct{ Trial, Attempt int }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		evals[e.Trial] = append(evals[e.Trial], e.Attempt)
	}
	for id := range kept {
		if len(evals[id]) != 1 {
			t.Errorf("trial %d completed before the kill was evaluated %d times (attempts %v)", id, len(evals[id]), evals[id])
		}
	}
	for _, tr := range after.Trials {
		if len(evals[tr.ID]) == 0 || !slices.Contains(evals[tr.ID], tr.Attempt) {
			t.Errorf("trial %d: recorded attempt %d has no evaluation (evaluated in attempts %v)", tr.ID, tr.Attempt, evals[tr.ID])
		}
	}
	t.Logf("killed with %d of %d completed; resumed to %d; %d trials evaluated more than once (those running at the kill)",
		len(kept), trials, completed(after), countMulti(evals))
}

func completed(tr jsonTrials) int {
	n := 0
	for _, t := range tr.Trials {
		if t.State == "completed" {
			n++
		}
	}
	return n
}

func countMulti(evals map[int][]int) int {
	n := 0
	for _, a := range evals {
		if len(a) > 1 {
			n++
		}
	}
	return n
}

func TestValidateReportsEveryMistake(t *testing.T) {
	dir := t.TempDir()
	bad := `objective: {metric: value, direction: maximise}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: 10, high: -5}
  x1: {type: flaot, low: 0, high: 15}
`
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644)
	out, _, code := automl(t, dir, "validate", "-space", "bad.yaml")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, exitUsage, out)
	}
	for _, want := range []string{
		`bad.yaml:1:39: objective.direction: must be minimize or maximize, got "maximise" (did you mean "maximize"?)`,
		`bad.yaml:4:`, `low must be below high`,
		`bad.yaml:5:`, `unknown type "flaot" (did you mean "float"?)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, c := range [][]string{{"search"}, {"validate"}, {"studies"}, {"trials"}, {"report"}, {"version"}, {"check"}} {
		out, _, code := automl(t, t.TempDir(), append(c, "--help")...)
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "automl "+c[0]) {
			t.Errorf("automl %s --help lacks examples (exit %d):\n%s", c[0], code, out)
		}
	}
}

func TestBadFlagsAndInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "-space", "missing.yaml"}, "missing.yaml: no such file"},
		{[]string{"search"}, `required flag(s) "space" not set`},
		{[]string{"search", "-space", "x.yaml", "--workers", "0"}, "--workers must be >= 1"},
		{[]string{"search", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"trials", "nosuch"}, "no study file automl.db"},
		{[]string{"report", "x", "--format", "pdf"}, `--format "pdf"`},
	} {
		_, errOut, code := automl(t, dir, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("automl %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

// TestCtrlCStopsGracefullyThenHard sends SIGINT once (no new trials; the
// running ones finish) and, in a second run, twice (running trials stop
// too); both leave a study that the same command completes.
func TestCtrlCStopsGracefullyThenHard(t *testing.T) {
	for _, signals := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d SIGINT", signals), func(t *testing.T) {
			dir := t.TempDir()
			space := `study: ctrlc
objective: {metric: value, direction: minimize}
budget: {trials: 40}
algorithm: {name: random, seed: 3}
trainer: {plugin: funcs, config: {function: branin, sleep: 300ms}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
			os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644)
			cmd := exec.Command(automlBin, "search", "-space", "space.yaml", "--workers", "2")
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				tr, ok := trialsJSON(t, dir, "automl.db", "ctrlc")
				if ok && running(tr) == 2 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no running trials; stderr:\n%s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			for i := 0; i < signals; i++ {
				cmd.Process.Signal(os.Interrupt)
				time.Sleep(50 * time.Millisecond)
			}
			err := cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
				t.Fatalf("exit %v, want %d; stderr:\n%s", err, exitInterrupted, stderr.String())
			}
			if !strings.Contains(stderr.String(), "continue it with: automl search -space space.yaml") {
				t.Errorf("no hint how to continue:\n%s", stderr.String())
			}
			tr, _ := trialsJSON(t, dir, "automl.db", "ctrlc")
			done, run := completed(tr), running(tr)
			if signals == 1 && (run != 0 || done < 2) {
				t.Errorf("after one Ctrl-C: %d completed, %d running; want the running trials finished", done, run)
			}
			if signals == 2 && run != 2 {
				t.Errorf("after two Ctrl-C: %d running; want the 2 stopped trials left to re-run", run)
			}
			out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "4")
			if code != 0 || !strings.Contains(out, "40/40 done") {
				t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}

func running(tr jsonTrials) int {
	n := 0
	for _, t := range tr.Trials {
		if t.State == "running" {
			n++
		}
	}
	return n
}

// BenchmarkSearchEndToEnd runs automl search (random search over Branin,
// the funcs trainer in plugin processes, 4 slots, embedded NATS, bbolt on
// disk) and reports trials per second of the study loop. b.N is ignored;
// the trial count is the budget (AUTOML_BENCH_TRIALS, default 5000).
func BenchmarkSearchEndToEnd(b *testing.B) {
	trials := 5000
	if v := os.Getenv("AUTOML_BENCH_TRIALS"); v != "" {
		fmt.Sscan(v, &trials)
	}
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		space := fmt.Sprintf(`study: bench
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: random, seed: 1}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`, trials)
		os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644)
		cmd := exec.Command(automlBin, "search", "-space", "space.yaml", "--workers", "4", "-q", "--top", "0")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		out, err := exec.Command(automlBin, "studies", "--db", filepath.Join(dir, "automl.db"), "--json").Output()
		if err != nil {
			b.Fatal(err)
		}
		var studies []struct {
			Seconds float64 `json:"elapsed_seconds"`
			Trials  map[string]int
		}
		if err := json.Unmarshal(out, &studies); err != nil || len(studies) != 1 || studies[0].Trials["completed"] != trials {
			b.Fatalf("studies: %v %s", err, out)
		}
		b.ReportMetric(float64(trials)/studies[0].Seconds, "trials/s")
	}
}
