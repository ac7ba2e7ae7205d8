package study_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestAnotherModuleDrivesAStudy builds and runs a program in a module of
// its own that requires automl through a replace directive (the project
// has no public import path yet): the API is usable from outside.
func TestAnotherModuleDrivesAStudy(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go .*$`).Find(mod) // the go version automl's module needs
	write("go.mod", "module example.com/mytrainer\n\n"+string(goLine)+"\n\nrequire automl v0.0.0\n\nreplace automl => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum)) // the same dependencies: no download, no checksum lookup
	write("main.go", `package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"

	"automl/spacefile"
	"automl/study"
	"automl/trial"
)

func main() {
	space, err := spacefile.ParseWithoutTrainer("space.yaml", []byte(`+"`"+`
study: outside
objective: {metric: loss, direction: minimize}
budget: {trials: 12}
algorithm: {name: gp, seed: 2}
parameters:
  x: {type: float, low: -5, high: 5}
`+"`"+`))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s, err := study.Open(os.Args[1], space, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	for {
		t, err := s.Ask(ctx)
		if errors.Is(err, study.ErrDone) {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		x := t.Params.Float("x", math.NaN())
		if err := s.Tell(ctx, t, trial.Metrics{"loss": (x - 1) * (x - 1)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	sum, err := s.Summary(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s %d best x=%.3f\n", sum.Status, sum.Counts[trial.Completed], sum.Best.Params.Float("x", math.NaN()))
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`)
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	run := func(args ...string) string {
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("build", "-o", "mytrainer", ".")
	cmd := exec.Command(filepath.Join(dir, "mytrainer"), filepath.Join(dir, "outside.db"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the program: %v\n%s", err, out)
	}
	var status string
	var n int
	var x float64
	if _, err := fmt.Sscanf(string(out), "%s %d best x=%f", &status, &n, &x); err != nil || status != "done" || n != 12 || math.Abs(x-1) > 0.5 {
		t.Fatalf("the program printed %q (want: done 12 best x near 1)", out)
	}
	t.Logf("another module: %s", strings.TrimSpace(string(out)))
}
