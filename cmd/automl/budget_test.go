package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The failure budgets are study settings: the space file's budget.retries
// and budget.max_failed decide how often a failing trial is re-run and when
// the study gives up, and the flags override them.
func TestFailureBudgetsFromTheSpaceFile(t *testing.T) {
	dir := t.TempDir()
	space := filepath.Join(dir, "space.yaml")
	// Every run of every trial fails (exit 3): with retries: 1 each trial
	// runs twice, and the study fails at its second failed trial.
	if err := os.WriteFile(space, []byte(`study: failing
objective: {metric: loss, direction: minimize}
budget: {trials: 20, retries: 1, max_failed: 2}
trainer:
  plugin: exec
  config: {command: [sh, -c, "echo broken >&2; exit 3"]}
parameters:
  x: {type: float, low: 0, high: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	failedRuns := func(db string) (failed int, attempts []int) {
		t.Helper()
		out, _, code := automl(t, dir, "trials", "failing", "--db", db, "--json")
		if code != 0 {
			t.Fatalf("trials --json: exit %d\n%s", code, out)
		}
		var tr struct {
			Trials []struct {
				State   string `json:"state"`
				Attempt int    `json:"attempt"`
			} `json:"trials"`
		}
		if err := json.Unmarshal([]byte(out), &tr); err != nil {
			t.Fatal(err)
		}
		for _, r := range tr.Trials {
			if r.State == "failed" {
				failed++
				attempts = append(attempts, r.Attempt)
			}
		}
		return failed, attempts
	}

	out, errOut, code := automl(t, dir, "search", "-space", space, "--db", "file.db", "--workers", "1")
	if code == 0 || !strings.Contains(out+errOut, "2 trials failed (limit 2)") {
		t.Fatalf("want the study failed by its max_failed of 2; exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Trials the worker had already taken (one slot, one job queued) may
	// still fail after the second; no more are created.
	failed, attempts := failedRuns("file.db")
	if failed < 2 || failed > 2+2 {
		t.Errorf("%d failed trials, want 2 (budget.max_failed) and at most the one slot and one queued job more", failed)
	}
	for _, a := range attempts {
		if a != 2 {
			t.Errorf("a failed trial ran %d times, want 2 (budget.retries: 1)", a)
		}
	}

	// The flags win over the file.
	out, errOut, code = automl(t, dir, "search", "-space", space, "--db", "flags.db", "--workers", "1", "--retries", "0", "--max-failed", "3")
	if code == 0 || !strings.Contains(out+errOut, "3 trials failed (limit 3)") {
		t.Fatalf("want the study failed by --max-failed 3; exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// The study fails at its third failed trial, give or take the jobs
	// already taken, as above.
	failed, attempts = failedRuns("flags.db")
	if failed < 3 || failed > 3+2 {
		t.Errorf("%d failed trials, want 3 (--max-failed) and at most the one slot and one queued job more", failed)
	}
	for _, a := range attempts {
		if a != 1 {
			t.Errorf("a failed trial ran %d times, want 1 (--retries 0)", a)
		}
	}
}
