package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCMAES: automl validate accepts a cmaes study and places a mistake
// in its options at the option; automl search runs it through the
// scheduler to the end, with parallel workers.
func TestCMAES(t *testing.T) {
	dir := t.TempDir()
	space := `study: cma
objective: {metric: value, direction: minimize}
budget: {trials: 30}
algorithm: {name: cmaes, seed: 4, popsize: 6, restart: ipop}
trainer: {plugin: funcs, config: {function: mixed}}
parameters:
  x1: {type: float, low: -5, high: 5}
  x2: {type: float, low: -5, high: 5}
  k: {type: int, low: -10, high: 10}
  c: {type: categorical, choices: [a, b, c, d]}
`
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("space.yaml", space)
	write("bad.yaml", strings.Replace(space, "popsize: 6", "sigma0: 0", 1))
	if out, errOut, code := automl(t, dir, "validate", "-space", "space.yaml"); code != 0 {
		t.Fatalf("validate a cmaes study: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := automl(t, dir, "validate", "-space", "bad.yaml")
	if want := "bad.yaml:4:43: algorithm.sigma0: must be in (0, 1]"; code != exitUsage || !strings.Contains(out+errOut, want) {
		t.Fatalf("validate sigma0: 0: exit %d, want %d and %q:\n%s%s", code, exitUsage, want, out, errOut)
	}
	out, errOut, code = automl(t, dir, "search", "-space", "space.yaml", "--workers", "3")
	if code != 0 || !strings.Contains(out, "30/30 done") {
		t.Fatalf("search with cmaes: exit %d\n%s\n%s", code, out, errOut)
	}
	tr, ok := trialsJSON(t, dir, "automl.db", "cma")
	if !ok || completed(tr) != 30 {
		t.Fatalf("%d trials completed, want 30", completed(tr))
	}
}
