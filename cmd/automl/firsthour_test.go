package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const branin = `objective: {metric: value, direction: minimize}
trainer: {plugin: funcs, config: {function: branin, sleep: 500ms}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

// A study named in another script (über.yaml was the study "ber") works
// end to end: its default name keeps its letters, its jobs, events, owner
// entry and stop requests travel through NATS under its token, and every
// command, shell completion included, knows it by its name.
func TestStudyNamedInAnotherScript(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "über.yaml"), []byte("budget: {trials: 4}\n"+branin), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, code := automl(t, dir, "validate", "über.yaml"); code != 0 || !strings.Contains(out, `study "über"`) {
		t.Fatalf("validate über.yaml: exit %d, want study \"über\":\n%s", code, out)
	}
	search := startAutoml(t, dir, "search", "search", "-space", "über.yaml", "--workers", "1")
	waitFor(t, time.Minute, "trial 0 running", func() bool {
		trs, ok := fleetTrials(t, dir, "über")
		return ok && len(trs) > 0 && trs[0].State == "running"
	})
	if out, errOut, code := automl(t, dir, "stop", "über", "0"); code != 0 || !strings.Contains(out, "stopping running trial(s) 0") {
		t.Fatalf("automl stop über 0: exit %d\n%s%s", code, out, errOut)
	}
	if code := search.wait(t, time.Minute); code != 0 {
		t.Fatalf("search exited %d", code)
	}
	trs, _ := fleetTrials(t, dir, "über")
	states := map[string]int{}
	for _, tr := range trs {
		states[tr.State]++
	}
	if states["stopped"] != 1 || states["completed"] != 3 {
		t.Errorf("trials by state %v, want 1 stopped (by automl stop) and 3 completed", states)
	}
	if out, _, code := automl(t, dir, "studies"); code != 0 || !strings.Contains(out, "über") {
		t.Errorf("studies: exit %d, no über:\n%s", code, out)
	}
	if out, _, code := automl(t, dir, "report", "über", "--format", "csv"); code != 0 || strings.Count(out, "\n") != 5 {
		t.Errorf("report über: exit %d, want a header and 4 rows:\n%s", code, out)
	}
	for _, typed := range []string{"", "üb", "u\u0308b"} {
		out, _, _ := automl(t, dir, "__complete", "trials", typed)
		if !strings.HasPrefix(out, "über\tdone, 4 trials\n") {
			t.Errorf("automl trials %q<Tab> offers:\n%s", typed, out)
		}
	}
}

// A study that ends well says where to look next, on standard error: the
// --json output stays JSON alone.
func TestSuccessfulStudyPointsToTheReport(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte("study: hint\nbudget: {trials: 2}\n"+strings.Replace(branin, "sleep: 500ms", "sleep: 1ms", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "next: automl report hint --db x.db --format html -o report.html"
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--db", "x.db", "--workers", "1")
	if code != 0 || !strings.Contains(errOut, want) || strings.Contains(out, "next:") {
		t.Errorf("search: exit %d; want %q on stderr only\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
	out, errOut, code = automl(t, dir, "search", "-space", "space.yaml", "--db", "x.db", "--trials", "3", "--json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || !strings.Contains(errOut, want) {
		t.Errorf("search --json: exit %d; want JSON on stdout, %q on stderr\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
	if _, errOut, _ := automl(t, dir, "search", "-space", "space.yaml", "--db", "x.db", "--trials", "4", "-q"); strings.Contains(errOut, "next:") {
		t.Errorf("search -q printed the next step:\n%s", errOut)
	}
}

// validate says when nothing bounds a study (it ran forever unannounced),
// and the file is still valid.
func TestValidateWarnsOfNoBudget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "open.yaml"), []byte(branin), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := automl(t, dir, "validate", "open.yaml")
	want := "open.yaml:1:1: budget: warning: no trials, timeout or max_resource_total: the study runs until it is stopped"
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("validate: exit %d, want 0 and %q:\n%s", code, want, out)
	}
}

// The next step runs as printed: ./automl when the README's ./automl ran.
func TestNextStepNamesTheBinaryAsTyped(t *testing.T) {
	defer func(a string) { os.Args[0] = a }(os.Args[0])
	for typed, want := range map[string]string{
		"./automl":                  "next: ./automl report über --format html -o report.html",
		"automl":                    "next: automl report über --format html -o report.html",
		"/tmp/go-build1/exe/automl": "next: automl report über --format html -o report.html",
	} {
		os.Args[0] = typed
		if got := nextStep("über", defaultDB); !strings.HasPrefix(got, want) {
			t.Errorf("run as %s: %q, want %q", typed, got, want)
		}
	}
}
