package onnx

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// python returns the interpreter that has onnx and numpy, or skips the
// test (fails it when AUTOML_ONNX_TESTS=1, as CI sets).
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import onnx, numpy").Run() == nil {
			return path
		}
	}
	if os.Getenv("AUTOML_ONNX_TESTS") == "1" {
		t.Fatal("AUTOML_ONNX_TESTS=1 but no python3 with onnx and numpy (Debian: apt-get install python3-onnx)")
	}
	t.Skip("no python3 with onnx and numpy (apt-get install python3-onnx); AUTOML_ONNX_TESTS=1 makes this a failure")
	return ""
}

// description is what testdata/check.py prints of a model.
type description struct {
	IRVersion    int              `json:"ir_version"`
	Producer     string           `json:"producer"`
	Opsets       map[string]int   `json:"opsets"`
	Inputs       []valueDesc      `json:"inputs"`
	Outputs      []valueDesc      `json:"outputs"`
	Ops          []string         `json:"ops"`
	Initializers map[string][]int `json:"initializers"`
	Metadata     map[string]string
}

type valueDesc struct {
	Name     string `json:"name"`
	ElemType int    `json:"elem_type"`
	Shape    []any  `json:"shape"`
}

// outputs are the graph's outputs as evaluated by check.py.
type outputs struct {
	Label         []string    `json:"label"`
	Probabilities [][]float64 `json:"probabilities"`
	Value         [][]float64 `json:"value"`
}

// check runs testdata/check.py on a serialised model: onnx's checker
// (full_check), then, when columns is non-nil, the numpy evaluation of the
// graph on them.
func check(t *testing.T, model []byte, columns map[string][]any) (description, *outputs) {
	t.Helper()
	py := python(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join("testdata", "check.py"), path}
	if columns != nil {
		in, err := json.Marshal(columns)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "in.json"), in, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json"))
	}
	cmd := exec.Command(py, args...)
	cmd.Stderr = new(limited)
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.py: %v\n%s", err, cmd.Stderr)
	}
	var d description
	if err := json.Unmarshal(stdout, &d); err != nil {
		t.Fatalf("check.py printed %q: %v", stdout, err)
	}
	if columns == nil {
		return d, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	var o outputs
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("out.json: %v", err)
	}
	return d, &o
}

// limited keeps the last 8 KiB written to it.
type limited struct{ b []byte }

func (l *limited) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > 8<<10 {
		l.b = l.b[len(l.b)-8<<10:]
	}
	return len(p), nil
}

func (l *limited) String() string { return string(l.b) }
