package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuto: automl validate accepts an auto study and places a mistake in
// its options at the option; automl search runs it and its log says which
// sampler it uses and why, and when it switches.
func TestAuto(t *testing.T) {
	dir := t.TempDir()
	space := `study: auto
objective: {metric: value, direction: minimize}
budget: {trials: 20}
algorithm: {name: auto, seed: 4, switch_after: 12}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("space.yaml", space)
	write("bad.yaml", strings.Replace(space, "switch_after: 12", "switch_after: 0", 1))
	if out, errOut, code := automl(t, dir, "validate", "-space", "space.yaml"); code != 0 {
		t.Fatalf("validate an auto study: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := automl(t, dir, "validate", "-space", "bad.yaml")
	if want := "bad.yaml:4:48: algorithm.switch_after: must be >= 1, got 0"; code != exitUsage || !strings.Contains(out+errOut, want) {
		t.Fatalf("validate switch_after: 0: exit %d, want %d and %q:\n%s%s", code, exitUsage, want, out, errOut)
	}
	out, errOut, code = automl(t, dir, "search", "-space", "space.yaml", "--workers", "1")
	if code != 0 || !strings.Contains(out, "20/20 done") {
		t.Fatalf("search with auto: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"auto: gp (2 numeric parameters, no conditions, 0 trials so far)", "auto: switching to cmaes after 12 completed trials"} {
		if n := strings.Count(out+errOut, want); n != 1 {
			t.Errorf("the log has %q %d times, want once:\n%s\n%s", want, n, out, errOut)
		}
	}
	tr, ok := trialsJSON(t, dir, "automl.db", "auto")
	if !ok || completed(tr) != 20 {
		t.Fatalf("%d trials completed, want 20", completed(tr))
	}
}
