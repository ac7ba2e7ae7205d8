package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

type studyListing struct {
	Name   string         `json:"name"`
	Status string         `json:"status"`
	Reason string         `json:"reason"`
	Trials map[string]int `json:"trials"`
}

func listStudies(t *testing.T, dir string) []studyListing {
	t.Helper()
	out, errOut, code := automl(t, dir, "studies", "--json")
	if code != 0 {
		t.Fatalf("studies --json: exit %d\n%s%s", code, out, errOut)
	}
	var l []studyListing
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		t.Fatalf("studies --json: %v\n%s", err, out)
	}
	return l
}

// A study whose automl search was SIGKILLed is not listed as running
// (today it was, for ever): studies says it is interrupted and how to
// continue it. While its search runs, it is listed as running.
func TestStudiesAfterSIGKILLSaysInterrupted(t *testing.T) {
	dir := t.TempDir()
	space := `study: killed
objective: {metric: value, direction: minimize}
budget: {trials: 4}
algorithm: {name: random, seed: 2}
trainer: {plugin: funcs, config: {function: branin, sleep: 1m}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(automlBin, "search", "-space", "space.yaml", "--workers", "2")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the study never listed 2 running trials; stderr:\n%s", stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "automl.db")); err == nil {
			if l := listStudies(t, dir); len(l) == 1 && l[0].Trials["running"] == 2 {
				if l[0].Status != "running" {
					t.Fatalf("a study whose search runs is listed %s (%s)", l[0].Status, l[0].Reason)
				}
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	l := listStudies(t, dir)
	if len(l) != 1 || l[0].Status != "interrupted" || !strings.Contains(l[0].Reason, "run the same automl search command to continue it") {
		t.Fatalf("after the SIGKILL: %+v; want the study interrupted, saying how to continue it", l)
	}
	out, _, code := automl(t, dir, "studies")
	if want := "killed is interrupted (its automl search process ended without closing the study (killed, or its machine stopped); run the same automl search command to continue it); continue it with: automl search -space space.yaml"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("studies (exit %d) does not say %q:\n%s", code, want, out)
	}
}
