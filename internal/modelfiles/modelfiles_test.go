package modelfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	root := Root("runs/exp.db")
	if root != "runs/exp.db.models" {
		t.Fatalf("Root = %s", root)
	}
	for _, c := range []struct{ study, want string }{
		{"mlp", "runs/exp.db.models/mlp/7.automl"},
		{"über", "runs/exp.db.models/_xn--ber-goa/7.automl"}, // not ASCII: its token
	} {
		if got := Model(root, c.study, 7); got != c.want {
			t.Errorf("Model(%q) = %s, want %s", c.study, got, c.want)
		}
	}
	if got := Holdout(root, "mlp", 12); got != "runs/exp.db.models/mlp/12.holdout" {
		t.Errorf("Holdout = %s", got)
	}
	for name, want := range map[string]int{"3.automl": 3, "12.holdout": 12} {
		if id, _, ok := TrialOf(name); !ok || id != want {
			t.Errorf("TrialOf(%s) = %d, %v", name, id, ok)
		}
	}
	for _, name := range []string{"ensemble.automl", ".3.automl.tmp123", "03.automl", "-1.automl", "3.txt"} {
		if _, _, ok := TrialOf(name); ok {
			t.Errorf("TrialOf(%s) took it for a trial's file", name)
		}
	}
}

// WriteAtomic replaces a file whole and leaves no temporary file; one
// that cannot be written leaves the old file as it was.
func TestWriteAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s", "1.automl")
	for _, text := range []string{"first", "second"} {
		if err := WriteAtomic(path, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "second" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := WriteAtomic(path, iotestErr{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("failed write: %v, want an error naming %s", err, path)
	}
	if got, _ := os.ReadFile(path); string(got) != "second" {
		t.Fatalf("after a failed write the file holds %q", got)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want the file alone", len(ents))
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, os.ErrClosed }
