package spacefile_test

import (
	"strings"
	"testing"

	"automl/search/value"
	"automl/spacefile"
)

// A space with a default on a numeric and a categorical parameter and a
// conditional one, for the points tests.
const pointsSpace = `study: pts
objective: {metric: loss, direction: minimize}
parameters:
  lr:        {type: float, low: 1.0e-4, high: 0.1, log: true}
  layers:    {type: int, low: 1, high: 4, default: 2}
  optimizer: {type: categorical, choices: [sgd, momentum, adam], default: adam}
  momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: momentum}}
`

func parsePoints(t *testing.T, extra string) *spacefile.File {
	t.Helper()
	f, err := spacefile.ParseWithoutTrainer("space.yaml", []byte(pointsSpace+extra))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDefaultIsReadInTheParametersKind(t *testing.T) {
	f := parsePoints(t, "")
	layers, _ := f.Space.Param("layers")
	if !layers.Default.Equal(value.Int(2)) || layers.Default.Kind() != value.IntValue {
		t.Errorf("layers default %v (%v), want the int 2", layers.Default, layers.Default.Kind())
	}
	opt, _ := f.Space.Param("optimizer")
	if !opt.Default.Equal(value.String("adam")) {
		t.Errorf("optimizer default %v, want adam", opt.Default)
	}
	if lr, _ := f.Space.Param("lr"); !lr.Default.IsAbsent() {
		t.Errorf("lr has default %v, but the file gives none", lr.Default)
	}
}

// The space file's enqueue: list: a parameter left out takes its default,
// a conditional one appears only when its condition holds, and each point
// says where it was written.
func TestSpaceFileEnqueue(t *testing.T) {
	f := parsePoints(t, `enqueue:
  - {lr: 0.01}
  - {lr: 0.001, layers: 3, optimizer: momentum, momentum: 0.9}
`)
	if len(f.Enqueue) != 2 {
		t.Fatalf("%d points, want 2", len(f.Enqueue))
	}
	first := f.Enqueue[0]
	if got := first.Values.Map(); len(got) != 3 || got["layers"] != int64(2) || got["optimizer"] != "adam" || got["lr"] != 0.01 {
		t.Errorf("first point %v, want lr 0.01 and the defaults layers 2, optimizer adam", got)
	}
	if first.Source != "space.yaml:9" || f.Enqueue[1].Source != "space.yaml:10" {
		t.Errorf("sources %q, %q; want space.yaml:9 and :11", first.Source, f.Enqueue[1].Source)
	}
	if got := f.Enqueue[1].Values.Map(); got["momentum"] != 0.9 || got["layers"] != int64(3) {
		t.Errorf("second point %v", got)
	}
}

// Every mistake in the space file's enqueue: is an error at its
// file:line:column, naming the parameter.
func TestSpaceFileEnqueueMistakes(t *testing.T) {
	_, err := spacefile.ParseWithoutTrainer("space.yaml", []byte(pointsSpace+`enqueue:
  - {layers: 3}
  - {lr: 0.01, layers: 9}
  - {lr: 0.01, lrr: 2}
  - {lr: 0.01, optimizer: rmsprop}
  - {lr: 0.01, momentum: 0.9}
  - {lr: fast}
`))
	if err == nil {
		t.Fatal("mistakes accepted")
	}
	for _, want := range []string{
		`space.yaml:9:5: enqueue: configuration 1: parameter "lr" is missing, and it has no default`,
		`space.yaml:10:24: enqueue: configuration 2: parameter "layers": 9 is not one of its values (int from 1 to 4)`,
		`space.yaml:11:16: enqueue: configuration 3: unknown parameter "lrr" (did you mean "lr"?)`,
		`space.yaml:12:27: enqueue: configuration 4: parameter "optimizer": "rmsprop" is not one of its values (one of "sgd", "momentum", "adam")`,
		`space.yaml:13:26: enqueue: configuration 5: parameter "momentum" is given, but its when: does not hold in this configuration (when optimizer in ["momentum"])`,
		`space.yaml:14:10: enqueue: configuration 6: parameter "lr": "fast" is not one of its values (float from 0.0001 to 0.1)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestReadPointsCSV(t *testing.T) {
	f := parsePoints(t, "")
	pts, err := f.ReadPoints("points.csv", []byte("lr,optimizer,momentum\n0.01,,\n0.001,momentum,0.9\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].Source != "points.csv:2" || pts[1].Source != "points.csv:3" {
		t.Fatalf("points %+v", pts)
	}
	if got := pts[0].Values.Map(); got["optimizer"] != "adam" || got["layers"] != int64(2) || len(got) != 3 {
		t.Errorf("row 1: %v, want the defaults filled in", got)
	}
	if got := pts[1].Values.Map(); got["momentum"] != 0.9 || got["optimizer"] != "momentum" {
		t.Errorf("row 2: %v", got)
	}

	_, err = f.ReadPoints("points.csv", []byte("lr,layers\n0.01,2\n,3\n0.5,1\n0.01,x\n"))
	for _, want := range []string{
		`points.csv:3:1: row 2: parameter "lr" is missing, and it has no default`,
		`points.csv:4:1: row 3: parameter "lr": 0.5 is not one of its values (float from 0.0001 to 0.1)`,
		`points.csv:5:6: row 4: parameter "layers": "x" is not one of its values (int from 1 to 4)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	if _, err := f.ReadPoints("points.csv", []byte("lr,units\n0.01,3\n")); err == nil || !strings.Contains(err.Error(), `points.csv:1:2: column 2, "units", is not a parameter of the space; the space's parameters: lr, layers, optimizer, momentum`) {
		t.Errorf("unknown column: %v", err)
	}
}

func TestReadPointsYAMLAndJSON(t *testing.T) {
	f := parsePoints(t, "")
	for name, data := range map[string]string{
		"points.yaml": "- {lr: 0.01}\n- lr: 0.02\n  layers: 4\n",
		"points.json": `[{"lr": 0.01}, {"lr": 0.02, "layers": 4}]`,
	} {
		pts, err := f.ReadPoints(name, []byte(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(pts) != 2 || pts[1].Values.Map()["layers"] != int64(4) || pts[0].Values.Map()["layers"] != int64(2) {
			t.Errorf("%s: %+v", name, pts)
		}
	}
	if _, err := f.ReadPoints("points.yaml", []byte("lr: 0.01\n")); err == nil || !strings.Contains(err.Error(), "points.yaml:1:1: want a list of configurations") {
		t.Errorf("a mapping instead of a list: %v", err)
	}
	if _, err := f.ReadPoints("points.yaml", []byte("")); err == nil || !strings.Contains(err.Error(), "points.yaml: no configurations") {
		t.Errorf("an empty file: %v", err)
	}
}

func TestBudgetCountFailed(t *testing.T) {
	for text, want := range map[string]bool{"budget: {trials: 3}\n": false, "budget: {trials: 3, count_failed: true}\n": true} {
		f := parsePoints(t, text)
		if f.Budget.CountFailed != want {
			t.Errorf("%q: count_failed %v, want %v", text, f.Budget.CountFailed, want)
		}
	}
}
