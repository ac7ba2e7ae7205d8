package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --timeout is wall time: when it is reached, the running trials get
// --timeout-grace and are then stopped and queued again (today they ran to
// their end: --timeout 10m took 13 min); the study ends done, exit status
// 0, and no message speaks of Ctrl-C, which nobody pressed. Continued with
// the budget used, it runs nothing and says how to go on.
func TestTimeoutStopsRunningTrialsAfterTheGrace(t *testing.T) {
	dir := t.TempDir()
	// Trial 0 is quick; every other one would take a minute.
	script := "#!/bin/sh\necho \"$1\" >> runs.txt\nif [ \"$1\" = 0 ]; then sleep 0.2; else sleep 60; fi\necho '{\"value\": 1}'\n"
	space := fmt.Sprintf(`study: wall
objective: {metric: value, direction: minimize}
budget: {trials: 6}
algorithm: {name: random, seed: 1}
trainer: {plugin: exec, config: {command: [sh, train.sh, "{trial_id}"], workdir: %q}}
parameters:
  x: {type: float, low: 0, high: 1}
`, dir)
	for name, text := range map[string]string{"train.sh": script, "space.yaml": space} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"search", "-space", "space.yaml", "--workers", "2", "--timeout", "3s", "--timeout-grace", "1s"}
	out, errOut, code := automl(t, dir, args...)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (a study that reached its time budget with a completed trial)\n%s\n%s", code, out, errOut)
	}
	if want := "study wall: done (time budget 3s reached: 2 running trial(s) stopped after the 1s grace"; !strings.Contains(out, want) {
		t.Errorf("no %q in:\n%s", want, out)
	}
	if strings.Contains(out+errOut, "Ctrl-C") {
		t.Errorf("a message about Ctrl-C, which nobody pressed:\n%s\n%s", out, errOut)
	}
	tr, ok := trialsJSON(t, dir, "automl.db", "wall")
	if !ok {
		t.Fatal("trials --json failed")
	}
	states := map[int]string{}
	for _, x := range tr.Trials {
		states[x.ID] = x.State
		if (x.ID == 1 || x.ID == 2) && (x.State != "pending" || x.Attempt != 2) {
			t.Errorf("trial %d: %s, attempt %d; want it stopped at the end of the grace and queued again (pending, attempt 2)", x.ID, x.State, x.Attempt)
		}
	}
	if states[0] != "completed" {
		t.Errorf("trial 0 (quick): %s, want completed", states[0])
	}
	out, _, _ = automl(t, dir, "trials", "wall")
	if !strings.Contains(out, "runs again when the study continues") {
		t.Errorf("the stopped trials' note does not say they run again:\n%s", out)
	}

	before, _ := os.ReadFile(filepath.Join(dir, "runs.txt"))
	out, errOut, code = automl(t, dir, args...)
	if code != 0 || !strings.Contains(out, "time budget 3s used before this run") {
		t.Fatalf("continued with the budget used: exit %d\n%s\n%s", code, out, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "runs.txt")); string(after) != string(before) {
		t.Errorf("trials ran in a study whose time budget was used: runs %q, then %q", before, after)
	}
}
