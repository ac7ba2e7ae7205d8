package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// controlTrial is a trial as automl trials --json prints it, with what
// the control commands add.
type controlTrial struct {
	ID      int            `json:"id"`
	State   string         `json:"state"`
	Attempt int            `json:"attempt"`
	Params  map[string]any `json:"params"`
	Origin  string         `json:"origin"`
	Earlier []struct {
		Attempt int    `json:"attempt"`
		Outcome string `json:"outcome"`
		Error   string `json:"error"`
	} `json:"earlier"`
}

func controlTrials(t *testing.T, dir, study string, db ...string) []controlTrial {
	t.Helper()
	out, errOut, code := automl(t, dir, append([]string{"trials", study, "--json"}, db...)...)
	if code != 0 {
		t.Fatalf("trials --json: exit %d: %s", code, errOut)
	}
	var tr struct {
		Trials []controlTrial `json:"trials"`
	}
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("trials --json: %v\n%s", err, out)
	}
	slices.SortFunc(tr.Trials, func(a, b controlTrial) int { return a.ID - b.ID })
	return tr.Trials
}

type studyHistory struct {
	Name    string `json:"name"`
	Budget  int    `json:"budget"`
	Queued  int    `json:"queued"`
	History []struct {
		Op      string `json:"op"`
		By      string `json:"by"`
		Command string `json:"command"`
		What    string `json:"what"`
	} `json:"history"`
}

func studyOf(t *testing.T, dir string, args ...string) studyHistory {
	t.Helper()
	out, errOut, code := automl(t, dir, append([]string{"studies", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("studies --json: exit %d: %s", code, errOut)
	}
	var all []studyHistory
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		t.Fatalf("studies --json: %v\n%s", err, out)
	}
	return all[0]
}

func mustRun(t *testing.T, dir string, args ...string) (string, string) {
	t.Helper()
	out, errOut, code := automl(t, dir, args...)
	if code != 0 {
		t.Fatalf("automl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

// A stopped study on the embedded default: --trials +N adds to its
// budget, a budget below what it has is refused (exit 2) by automl search
// and automl budget alike, automl budget raises it in the study file and
// the next automl search (same command) keeps that budget and says why;
// configurations enqueued meanwhile run first. Each change is in the
// study's history.
func TestBudgetAndEnqueueOnAStoppedStudy(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "stopped", 4, 0)
	search := []string{"search", "-space", "space.yaml", "--workers", "2", "--top", "0"}
	mustRun(t, dir, append(search, "--trials", "+1")...)
	if n := len(controlTrials(t, dir, "stopped")); n != 5 {
		t.Fatalf("--trials +1 on a new study of 4: %d trials, want 5", n)
	}
	for _, args := range [][]string{append(search, "--trials", "3"), {"budget", "stopped", "--trials", "3"}} {
		_, errOut, code := automl(t, dir, args...)
		if code != exitUsage || !strings.Contains(errOut, "--trials 3 is below the 5 trials study stopped already has (5 completed); give 5 or more, or +N to add N") {
			t.Errorf("automl %s: exit %d, %q; want exit 2 and what would be right", args[0], code, errOut)
		}
	}
	out, _ := mustRun(t, dir, "budget", "stopped", "--trials", "+2")
	if out != "study stopped: budget: trials 5 -> 7\n" {
		t.Errorf("automl budget said %q", out)
	}
	writeFile(t, filepath.Join(dir, "points.yaml"), "- {x0: 1.25, x1: 2.5}\n")
	out, _ = mustRun(t, dir, "enqueue", "stopped", "-f", "points.yaml")
	if !strings.Contains(out, "queued 1 configuration(s) from points.yaml; they run before the algorithm's own") {
		t.Errorf("automl enqueue said %q", out)
	}
	_, errOut := mustRun(t, dir, search...)
	if !strings.Contains(errOut, "budget: 7 trials (set by automl budget stopped --trials +2 on ") || !strings.Contains(errOut, "the space file says 4)") {
		t.Errorf("automl search does not say which budget applies and why:\n%s", errOut)
	}
	trs := controlTrials(t, dir, "stopped")
	if len(trs) != 7 || trs[5].Origin != "queued from points.yaml:1 by "+whoami() || trs[5].Params["x0"] != 1.25 {
		t.Fatalf("%d trials; trial 5 %v from %q; want 7, the queued configuration first", len(trs), trs[5].Params, trs[5].Origin)
	}
	st := studyOf(t, dir)
	var ops []string
	for _, h := range st.History {
		ops = append(ops, h.Op+": "+h.What)
		if h.By != whoami() {
			t.Errorf("history entry by %q, want %q", h.By, whoami())
		}
	}
	if want := "[budget: trials 5 -> 7 enqueue: queued 1 configuration(s) from points.yaml]"; fmt.Sprint(ops) != want || st.Budget != 7 {
		t.Errorf("history %v, budget %d; want %s and 7", ops, st.Budget, want)
	}
	out, _ = mustRun(t, dir, "history", "stopped")
	if !strings.Contains(out, "trials 5 -> 7") || !strings.Contains(out, "automl enqueue stopped -f points.yaml") {
		t.Errorf("automl history:\n%s", out)
	}
}

// automl retry after a fix: a study whose every trial failed (the same
// way: fail_fast) exits 1 and says why; the trainer is fixed; automl retry (the study is stopped)
// records the reruns, and the next automl search runs the same trials again
// with the same parameters as second attempts, keeping the failed ones.
func TestRetryAfterAFix(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "space.yaml"), `study: buggy
objective: {metric: value, direction: minimize}
budget: {trials: 3, count_failed: true}
algorithm: {name: random, seed: 3}
trainer:
  plugin: exec
  config: {command: [sh, -c, 'test -f fixed || { echo "bug: no such column" >&2; exit 3; }; echo "{\"value\": {x}}"']}
parameters:
  x: {type: float, low: 0, high: 1}
`)
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "1", "--top", "0")
	if code != exitError || !strings.Contains(errOut, "study buggy failed: the first 3 trials all failed with the same cause:") || !strings.Contains(errOut, "bug: no such column") {
		t.Fatalf("a study whose every trial failed: exit %d\n%s%s", code, out, errOut)
	}
	before := controlTrials(t, dir, "buggy")
	writeFile(t, filepath.Join(dir, "fixed"), "")
	out, _ = mustRun(t, dir, "retry", "buggy")
	if !strings.Contains(out, "rerun trial(s) 0, 1, 2: each runs again, as a new attempt with the same parameters, when automl search continues the study") {
		t.Errorf("automl retry said %q", out)
	}
	mustRun(t, dir, "search", "-space", "space.yaml", "--workers", "1", "--top", "0")
	after := controlTrials(t, dir, "buggy")
	if len(after) != 3 {
		t.Fatalf("%d trials after the retry, want the same 3", len(after))
	}
	for i, r := range after {
		if r.State != "completed" || r.Attempt != 2 || fmt.Sprint(r.Params) != fmt.Sprint(before[i].Params) || len(r.Earlier) != 1 ||
			r.Earlier[0].Outcome != "crashed" || !strings.Contains(r.Earlier[0].Error, "bug: no such column") {
			t.Errorf("trial %d: %s attempt %d params %v (were %v), earlier %+v; want completed on attempt 2 with the same parameters, the failed attempt kept",
				r.ID, r.State, r.Attempt, r.Params, before[i].Params, r.Earlier)
		}
	}
	_, errOut, code = automl(t, dir, "retry", "buggy", "--trial", "1")
	if code != exitUsage || !strings.Contains(errOut, "trial 1 is completed: retry reruns failed and stopped trials") {
		t.Errorf("retry of a completed trial: exit %d %q", code, errOut)
	}
}

// The space file's enqueue: runs first, a parameter left out taking its
// default:; a mistake in it is reported at its file:line:column.
func TestSpaceFileEnqueueWithADefault(t *testing.T) {
	dir := t.TempDir()
	space := `study: warm
objective: {metric: value, direction: minimize}
budget: {trials: 3}
algorithm: {name: tpe, seed: 3}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15, default: 2.275}
enqueue:
  - {x0: 3.14159}
`
	writeFile(t, filepath.Join(dir, "space.yaml"), space)
	mustRun(t, dir, "search", "-space", "space.yaml", "--workers", "1", "--top", "0")
	trs := controlTrials(t, dir, "warm")
	if len(trs) != 3 || trs[0].Params["x0"] != 3.14159 || trs[0].Params["x1"] != 2.275 || trs[0].Origin != "queued from space.yaml:10" {
		t.Fatalf("trial 0: %v from %q; want the queued configuration with x1's default", trs[0].Params, trs[0].Origin)
	}
	writeFile(t, filepath.Join(dir, "bad.yaml"), strings.Replace(space, "  - {x0: 3.14159}", "  - {x1: 3}", 1))
	out, errOut, code := automl(t, dir, "validate", "-space", "bad.yaml")
	if code != exitUsage || !strings.Contains(out+errOut, `bad.yaml:10:5: enqueue: configuration 1: parameter "x0" is missing, and it has no default`) {
		t.Errorf("validate: exit %d %q", code, out+errOut)
	}
}

// A running study on the embedded default takes configurations and a
// raised budget at once: the queued configurations are the next trials,
// before the algorithm's; a points file with a mistake is refused with its
// file:line; both changes are in the study's history.
func TestEnqueueAndBudgetOnARunningStudy(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "running", 4, 400*time.Millisecond)
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--workers", "1", "--top", "0")
	waitFor(t, time.Minute, "a trial running", func() bool {
		trs, ok := fleetTrials(t, dir, "running")
		return ok && len(trs) > 0 && trs[0].State == "running"
	})
	writeFile(t, filepath.Join(dir, "points.csv"), "x0,x1\n1.5,2.5\n-3,12\n")
	writeFile(t, filepath.Join(dir, "bad.csv"), "x0,x1\n1.5,99\n")
	_, errOut, code := automl(t, dir, "enqueue", "running", "-f", "bad.csv")
	if code != exitUsage || !strings.Contains(errOut, `bad.csv:2:5: row 1: parameter "x1": 99 is not one of its values (float from 0 to 15)`) {
		t.Errorf("enqueue of a bad file: exit %d %q", code, errOut)
	}
	out, _ := mustRun(t, dir, "enqueue", "running", "-f", "points.csv")
	if !strings.Contains(out, "queued 2 configuration(s) from points.csv") || !strings.Contains(out, "automl budget running --trials +2") {
		t.Errorf("enqueue on a study whose budget has no room: %q; want it queued and how to make room", out)
	}
	out, _ = mustRun(t, dir, "budget", "running", "--trials", "+2")
	if out != "study running: budget: trials 4 -> 6\n" {
		t.Errorf("budget: %q", out)
	}
	if code := search.wait(t, time.Minute); code != 0 {
		t.Fatalf("search exited %d", code)
	}
	trs := controlTrials(t, dir, "running")
	if len(trs) != 6 || trs[4].Origin == "" || trs[5].Origin == "" || trs[4].Params["x0"] != 1.5 || trs[5].Params["x0"] != -3.0 {
		t.Fatalf("trials %+v; want 6, the last two the queued configurations", trs)
	}
	if st := studyOf(t, dir); len(st.History) != 2 || st.History[0].Op != "enqueue" || st.History[1].Op != "budget" {
		t.Errorf("history %+v", st.History)
	}
}

// On a fleet (automl search --nats, a real nats-server, a worker process):
// budget, enqueue, stop and retry reach the running scheduler through the
// server; once the study is done, automl budget --nats finds no scheduler
// and changes the study file here, and the same automl search continues
// the study with that budget.
func TestControlOnAFleet(t *testing.T) {
	f := startFleet(t, "fleetctl", 3, 1, 600*time.Millisecond)
	url := f.nats.url()
	waitFor(t, time.Minute, "trial 0 running", func() bool {
		trs, ok := fleetTrials(t, f.dir, "fleetctl")
		return ok && len(trs) > 0 && trs[0].State == "running"
	})
	out, _ := mustRun(t, f.dir, "stop", "fleetctl", "0", "--nats", url)
	if !strings.Contains(out, "stopping running trial(s) 0") {
		t.Errorf("stop: %q", out)
	}
	waitFor(t, time.Minute, "trial 0 stopped", func() bool {
		trs, ok := fleetTrials(t, f.dir, "fleetctl")
		return ok && trs[0].State == "stopped"
	})
	out, _ = mustRun(t, f.dir, "retry", "fleetctl", "--state", "stopped", "--nats", url)
	if !strings.Contains(out, "rerun trial(s) 0: each runs again now") {
		t.Errorf("retry: %q", out)
	}
	writeFile(t, filepath.Join(f.dir, "points.csv"), "x0,x1\n2,3\n")
	mustRun(t, f.dir, "enqueue", "fleetctl", "-f", "points.csv", "--nats", url)
	if out, _ = mustRun(t, f.dir, "budget", "fleetctl", "--trials", "+1", "--nats", url); out != "study fleetctl: budget: trials 3 -> 4\n" {
		t.Errorf("budget: %q", out)
	}
	f.finish(t, f.search)
	trs := controlTrials(t, f.dir, "fleetctl")
	if len(trs) != 4 || trs[0].State != "completed" || trs[0].Attempt != 2 || len(trs[0].Earlier) != 1 || trs[0].Earlier[0].Outcome != "aborted" || trs[3].Params["x0"] != 2.0 {
		t.Fatalf("trials %+v; want 4, trial 0 rerun after its stop, trial 3 the queued configuration", trs)
	}

	// Nobody runs it now: the request goes to the study file here.
	if out, _ = mustRun(t, f.dir, "budget", "fleetctl", "--trials", "+1", "--nats", url); out != "study fleetctl: budget: trials 4 -> 5\n" {
		t.Errorf("budget of the stopped study: %q", out)
	}
	f.workers.add()
	f.search = startAutoml(t, f.dir, "search2", f.args...)
	f.finish(t, f.search)
	if trs = controlTrials(t, f.dir, "fleetctl"); len(trs) != 5 {
		t.Errorf("%d trials after the raised budget, want 5", len(trs))
	}
	var ops []string
	for _, h := range studyOf(t, f.dir).History {
		ops = append(ops, h.Op)
	}
	if fmt.Sprint(ops) != "[stop retry enqueue budget budget]" {
		t.Errorf("history ops %v", ops)
	}
}

// The control commands explain themselves, and refuse what makes no sense
// before they touch anything.
func TestControlCommandsHelpAndBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []string{"budget", "enqueue", "retry", "history"} {
		out, _, code := automl(t, dir, c, "--help")
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "automl "+c) {
			t.Errorf("automl %s --help: exit %d\n%s", c, code, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"budget", "s"}, "give --trials N (or +N to add N) or --timeout D (or +D to add D)"},
		{[]string{"budget", "s", "--trials", "+x"}, `--trials "+x": want a number of trials`},
		{[]string{"budget", "s", "--trials", "0"}, "--trials must be > 0"},
		{[]string{"budget", "s", "--timeout", "soon"}, `--timeout "soon": want a duration`},
		{[]string{"budget", "s", "--trials", "+5"}, "no study file automl.db"},
		{[]string{"enqueue", "s"}, "give the configurations with -f FILE"},
		{[]string{"enqueue", "s", "-f", "nosuch.csv"}, "nosuch.csv: no such file or directory"},
		{[]string{"retry", "s", "--trial", "1", "--state", "failed"}, "give --trial or --state, not both"},
		{[]string{"search", "-space", "x.yaml", "--trials", "+-3"}, "--trials must be > 0, got +-3"},
	} {
		_, errOut, code := automl(t, dir, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("automl %v: exit %d %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if re := regexp.MustCompile(`^[^@\s]+@\S+$`); !re.MatchString(whoami()) {
		t.Errorf("whoami %q is not user@host", whoami())
	}
}
