package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"automl/plugins"
	_ "automl/search/algorithms"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
	"automl/trial/triallog"
)

type lastLoss struct {
	steps int
	mu    sync.Mutex
	lines []string // the trial's log (its lines may come from the plugin's output readers)
}

func (r *lastLoss) Report(context.Context, float64, trial.Metrics) (trial.Directive, error) {
	r.steps++
	return trial.Continue, nil
}

func (r *lastLoss) AddLine(l triallog.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, l.Text)
}

// The example builds as its README says and runs trials of its space file
// as an external, checksum-pinned plugin.
func TestExampleRunsAsAPlugin(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "custom-plugin")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	space, err := spacefile.ParseFile("space.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	slot := plugins.NewSlot(plugins.HostOptions{})
	defer slot.Close()
	for id, xy := range [][2]float64{{1, -2}, {3, 0}} {
		spec := trial.Spec{
			Key:     trial.Key{Study: space.Study, ID: id, Attempt: 1},
			Params:  value.Values{{Name: "x", Value: value.Float(xy[0])}, {Name: "y", Value: value.Float(xy[1])}},
			Trainer: trial.Trainer{Plugin: bin, SHA256: hex.EncodeToString(sum[:]), Timeout: space.Trainer.Timeout},
			To:      6,
		}
		rep := &lastLoss{}
		res, err := slot.Run(context.Background(), spec, rep)
		if err != nil {
			t.Fatal(err)
		}
		want := (xy[0]-1)*(xy[0]-1) + (xy[1]+2)*(xy[1]+2)
		if res.Outcome != trial.ExitDone || rep.steps != 6 || res.Metrics["loss"] < want || res.Metrics["loss"] > want+0.2 {
			t.Errorf("trial %d: %+v after %d reports; want done, loss just above %v", id, res, rep.steps, want)
		}
		if len(rep.lines) != 6 || !strings.HasPrefix(rep.lines[5], "epoch 6: loss ") {
			t.Errorf("trial %d logged %q; want a line per epoch", id, rep.lines)
		}
	}
}

// The binary the README tells users to build beside the example is
// ignored by git, so it is never committed by accident.
func TestBuiltBinaryIsIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not a git work tree")
	}
	built := filepath.Join(strings.TrimSpace(string(top)), "examples/custom-plugin/custom-plugin")
	if err := exec.Command("git", "check-ignore", "-q", built).Run(); err != nil {
		t.Errorf("git does not ignore %s, the binary the README builds (git check-ignore: %v)", built, err)
	}
}
