package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"automl/spacefile"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPreflightRefusesWhatEveryTrialWouldFailOn: each mistake that passed
// automl validate and then failed every trial of the study (5 to 13 trials
// each, a plugin binary retried 6 times a trial as lost) is refused by
// validate and by search before the first trial, with the file, line and
// column of the key in the space file, exit status 2, and no study made.
func TestPreflightRefusesWhatEveryTrialWouldFailOn(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ragged.csv"), "a,b,target\n1,2,0\n3,4,1\n5,6\n7,8,1\n")
	writeFile(t, filepath.Join(dir, "header.csv"), "a,b,target\n")
	writeFile(t, filepath.Join(dir, "oneclass.csv"), "a,b,target\n1,2,1\n3,4,1\n5,6,1\n7,8,1\n")
	const head = "study: s\nobjective: {metric: %s, direction: minimize}\nbudget: {trials: 20}\ntrainer:\n"
	mlp := func(csv string) string {
		return fmt.Sprintf(head, "val_loss") + "  plugin: mlp\n  config:\n    dataset: " + csv + "\n    target: target\nparameters:\n  learning_rate: {type: float, low: 0.001, high: 0.1}\n"
	}
	for _, tc := range []struct{ name, space, want string }{
		{"a plugin binary that does not exist", fmt.Sprintf(head, "loss") + "  plugin: ./my-plugin\nparameters:\n  x: {type: float, low: 0, high: 1}\n",
			"space.yaml:5:11: trainer.plugin: plugin binary rejected: ./my-plugin: no such file"},
		{"a binary that is not a plugin", fmt.Sprintf(head, "loss") + "  plugin: /bin/true\nparameters:\n  x: {type: float, low: 0, high: 1}\n",
			"space.yaml:5:11: trainer.plugin: /bin/true is not an automl plugin: it printed nothing on stdout and closed it"},
		{"a command not on PATH", fmt.Sprintf(head, "loss") + "  plugin: exec\n  config: {command: [no-such-python3, train.py]}\nparameters:\n  x: {type: float, low: 0, high: 1}\n",
			`space.yaml:6:21: trainer.config.command: program "no-such-python3" not found on PATH`},
		{"a ragged row", mlp("ragged.csv"), "space.yaml:7:14: trainer.config.dataset: ragged.csv:4: row has 2 fields, the header has 3"},
		{"a header and no rows", mlp("header.csv"), "space.yaml:7:14: trainer.config.dataset: header.csv: no data rows after the header"},
		{"a target with one class", mlp("oneclass.csv"), `space.yaml:8:13: trainer.config.target: oneclass.csv: column "target": the target is constant (1)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, "space.yaml"), tc.space)
			out, errOut, code := automl(t, dir, "validate", "-space", "space.yaml")
			if code != exitUsage || !strings.Contains(out, tc.want) {
				t.Errorf("validate: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, exitUsage, tc.want, out, errOut)
			}
			db := strings.ReplaceAll(tc.name, " ", "-") + ".db"
			out, errOut, code = automl(t, dir, "search", "-space", "space.yaml", "--db", db, "--workers", "2")
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("search: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, exitUsage, tc.want, out, errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, db)); err == nil {
				t.Errorf("search made the study file %s: it ran", db)
			}
		})
	}
}

// TestPreflightWithoutLocalSlots: when no trial runs on this machine
// (search --workers 0, validate --fleet), the plugin binary and the
// program are the workers' to find: they are not looked for here, and
// the check says so; the data set, read the same everywhere, still is.
func TestPreflightWithoutLocalSlots(t *testing.T) {
	f, err := spacefile.Parse("space.yaml", []byte("objective: {metric: loss, direction: minimize}\nbudget: {trials: 5}\ntrainer: {plugin: ./on-the-workers}\nparameters:\n  x: {type: float, low: 0, high: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := preflight(f, true); err == nil {
		t.Fatal("a missing plugin binary passed with local slots")
	}
	checked, err := preflight(f, false)
	if err != nil || len(checked) != 1 || !strings.Contains(checked[0], "not looked for here") {
		t.Fatalf("without local slots: %q, %v", checked, err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "space.yaml"), "objective: {metric: loss, direction: minimize}\nbudget: {trials: 5}\ntrainer: {plugin: exec, config: {command: [on-the-workers]}}\nparameters:\n  x: {type: float, low: 0, high: 1}\n")
	out, errOut, code := automl(t, dir, "validate", "--fleet", "-space", "space.yaml")
	if code != 0 || !strings.Contains(out, "command on-the-workers: not looked for here") {
		t.Errorf("validate --fleet: exit %d\n%s%s", code, out, errOut)
	}
}

// TestExitStatusTellsTheTruth: a study whose every trial failed exits 1
// with how its trials ended and their cause, even within max_failed
// (it used to end "done", exit 0); a study whose first trials all fail
// alike stops there (fail_fast) and says why; one that continues with
// another space file is bad input, exit 2 (it used to exit 1).
func TestExitStatusTellsTheTruth(t *testing.T) {
	dir := t.TempDir()
	failing := func(trials int) string {
		return fmt.Sprintf("study: failing\nobjective: {metric: loss, direction: minimize}\nbudget: {trials: %d}\ntrainer:\n  plugin: exec\n"+
			"  config: {command: [sh, -c, \"echo Traceback >&2; echo 'ModuleNotFoundError: No module named torch' >&2; exit 1\"]}\n"+
			"parameters:\n  x: {type: float, low: 0, high: 1}\n", trials)
	}
	space := filepath.Join(dir, "space.yaml")
	// Two trials, fewer than fail_fast's 3 and max_failed's 5, failed ones
	// counted against the budget (else others would take their place).
	writeFile(t, space, strings.Replace(failing(2), "budget: {trials: 2}", "budget: {trials: 2, count_failed: true}", 1))
	out, errOut, code := automl(t, dir, "search", "-space", space, "--db", "two.db", "--workers", "1")
	want := "study failing failed: 0 of 2 trials completed (2 failed): exec: sh exited with status 1: ModuleNotFoundError: No module named torch"
	if code != exitError || !strings.Contains(errOut, want) {
		t.Errorf("every trial failed: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, exitError, want, out, errOut)
	}

	writeFile(t, space, failing(40))
	out, errOut, code = automl(t, dir, "search", "-space", space, "--db", "forty.db", "--workers", "2")
	want = "the first 3 trials all failed with the same cause: exec: sh exited with status 1: ModuleNotFoundError: No module named torch; fix it and run the same command again"
	if code != exitError || !strings.Contains(errOut, want) {
		t.Errorf("fail_fast: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, exitError, want, out, errOut)
	}
	out, _, _ = automl(t, dir, "trials", "failing", "--db", "forty.db", "--json")
	var tr jsonTrials
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range tr.Trials {
		if r.State == "failed" {
			failed++
		}
	}
	if failed < 3 || failed > 3+2 {
		t.Errorf("%d trials failed; want 3 (fail_fast) and at most the 2 slots more", failed)
	}

	root, _ := filepath.Abs("../..")
	quick, err := os.ReadFile(filepath.Join(root, "examples/quickstart/space.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, space, string(quick))
	if out, errOut, code := automl(t, dir, "search", "-space", space, "--db", "q.db", "--trials", "3", "-q"); code != 0 {
		t.Fatalf("quickstart: exit %d\n%s%s", code, out, errOut)
	}
	writeFile(t, space, strings.Replace(string(quick), "high: 15", "high: 14", 1))
	out, errOut, code = automl(t, dir, "search", "-space", space, "--db", "q.db", "--trials", "3", "-q")
	want = "study \"quickstart\" in q.db ran with another version of its space file; the changes in " + space + ":\n  x1: high 15 → 14 (narrowed)\nto apply them, run again with --allow-space-change"
	if code != exitUsage || !strings.Contains(errOut, want) {
		t.Errorf("changed space: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, exitUsage, want, out, errOut)
	}
}
