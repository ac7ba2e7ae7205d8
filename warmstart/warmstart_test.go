package warmstart_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"automl/report"
	"automl/scheduler"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
	"automl/warmstart"
)

const space = `study: target
objective: {metric: loss, direction: minimize}
trainer: {plugin: ./train}
parameters:
  lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}
  layers: {type: int, low: 1, high: 4}
  optimizer: {type: categorical, choices: [sgd, momentum, "-adam"]}
  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: momentum}}
  batch: {type: categorical, choices: [32, 64]}
`

func target(t *testing.T) warmstart.Target {
	t.Helper()
	f, err := spacefile.Parse("space.yaml", []byte(space))
	if err != nil {
		t.Fatal(err)
	}
	return warmstart.Target{Space: f.Space, Objective: f.Objective}
}

func js(vs value.Values) string {
	b, _ := json.Marshal(vs)
	return string(b)
}

var origin = warmstart.Origin{Name: "in.csv", Abs: "/data/in.csv"}

// describe writes the records and skips one a line, for comparing.
func describe(r warmstart.Result) string {
	var b strings.Builder
	for _, rec := range r.Records {
		fmt.Fprintf(&b, "%s %s %v loss=%g res=%g metrics=%v %s\n", rec.State, js(rec.Params), rec.HasValue, rec.Value, rec.Resource, map[string]float64(rec.Metrics), rec.Source)
	}
	for _, s := range r.Skipped {
		b.WriteString("skip " + s.String() + "\n")
	}
	if len(r.Dropped) > 0 {
		fmt.Fprintf(&b, "dropped %v\n", r.Dropped)
	}
	return b.String()
}

// A hand-written CSV: parameters and the metric by name, other numeric
// columns kept as metrics, and each row that does not fit the space
// skipped with why.
func TestReadCSV(t *testing.T) {
	csv := `lr,layers,optimizer,momentum,batch,loss,test_accuracy,state
0.01,2,momentum,0.9,64,0.31,0.91,completed
0.001,3,sgd,0.9,32,0.42,,
0.5,1,sgd,,32,0.2,,
0.01,2,adam,,32,0.2,,
0.01,2.5,sgd,,32,0.2,,
0.01,2,momentum,,64,0.3,,
0.01,2,sgd,,64,,,
0.01,2,sgd,,64,0.1,,failed
0.02,4,'-adam,,64,0.25,,
`
	r, err := warmstart.ReadCSV(target(t), origin, []byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	want := `imported {"lr":0.01,"layers":2,"optimizer":"momentum","momentum":0.9,"batch":64} true loss=0.31 res=0 metrics=map[loss:0.31 test_accuracy:0.91] /data/in.csv:2
imported {"lr":0.001,"layers":3,"optimizer":"sgd","batch":32} true loss=0.42 res=0 metrics=map[loss:0.42] /data/in.csv:3
imported {"lr":0.02,"layers":4,"optimizer":"-adam","batch":64} true loss=0.25 res=0 metrics=map[loss:0.25] /data/in.csv:10
skip in.csv:4: outside the space: parameter "lr": 0.5 is not one of its values (float from 0.0001 to 0.1)
skip in.csv:5: outside the space: parameter "optimizer": adam is not one of its values (one of sgd, momentum, -adam)
skip in.csv:6: outside the space: parameter "layers": 2.5 is not one of its values (int from 1 to 4)
skip in.csv:7: missing a parameter: parameter "momentum" is missing, and the space gives it no default
skip in.csv:8: no value of the objective's metric: it has no loss
skip in.csv:9: not completed: its state is failed
`
	if got := describe(r); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	sum := r.Summary()
	wantSum := `3 outside the space (in.csv:4: parameter "lr": 0.5 is not one of its values (float from 0.0001 to 0.1)), 1 missing a parameter (in.csv:7: parameter "momentum" is missing, and the space gives it no default), 1 no value of the objective's metric (in.csv:8: it has no loss), 1 not completed (in.csv:9: its state is failed)`
	if sum != wantSum {
		t.Fatalf("summary:\n%s\nwant:\n%s", sum, wantSum)
	}
	if err := r.Strict(); err == nil || !strings.HasPrefix(err.Error(), "6 result(s) do not fit the study (strict):\n  in.csv:4: outside the space") {
		t.Fatalf("strict: %v", err)
	}
}

func TestReadCSVMistakes(t *testing.T) {
	for _, tc := range []struct{ csv, err string }{
		{"", "in.csv: empty; want a header row (the parameters and loss), then one result a row"},
		{"lr,layers\n0.1,2\n", `in.csv:1:1: no column "loss", the objective's metric (columns: lr, layers)`},
		{"lr,loss\n0.1,2,3\n", "in.csv:2:1: 3 cells, but the header names 2 columns"},
		{"lr,loss\n0.1,low\n", `in.csv:2:5: loss: want a number, got "low"`},
		{"lr,loss\n\"0.1,2\n", "in.csv:2:8: malformed CSV: extraneous or missing \" in quoted-field"},
	} {
		_, err := warmstart.ReadCSV(target(t), origin, []byte(tc.csv))
		if err == nil || err.Error() != tc.err {
			t.Errorf("%q:\n got  %v\n want %s", tc.csv, err, tc.err)
		}
	}
}

// JSON: a list of flat results, or {"trials": [...]} with params and
// metrics; NaN travels as a string.
func TestReadJSON(t *testing.T) {
	flat := `[{"lr": 0.01, "layers": 2, "optimizer": "sgd", "batch": 32, "loss": 0.5, "other": 1},
  {"lr": 0.01, "layers": 2, "optimizer": "sgd", "batch": 32, "loss": "NaN"},
  {"lr": 0.01, "layers": 9, "optimizer": "sgd", "batch": 32, "loss": 0.1}]`
	r, err := warmstart.ReadJSON(target(t), warmstart.Origin{Name: "r.json", Abs: "/r.json"}, []byte(flat))
	if err != nil {
		t.Fatal(err)
	}
	want := `imported {"lr":0.01,"layers":2,"optimizer":"sgd","batch":32} true loss=0.5 res=0 metrics=map[loss:0.5] /r.json#1
skip r.json#2: no value of the objective's metric: loss is NaN
skip r.json#3: outside the space: parameter "layers": 9 is not one of its values (int from 1 to 4)
`
	if got := describe(r); got != want {
		t.Fatalf("flat:\n%s\nwant:\n%s", got, want)
	}
	nested := `{"metric": "loss", "trials": [
  {"id": 4, "state": "completed", "params": {"lr": 0.002, "layers": 1, "optimizer": "momentum", "momentum": 0.7, "batch": 64, "width": 3}, "value": 0.2, "metrics": {"loss": 0.2, "acc": 0.9}, "resource": 27},
  {"id": 5, "state": "pruned", "params": {"lr": 0.002, "layers": 1, "optimizer": "sgd", "batch": 64}, "value": 0.9},
  {"id": 6, "params": {"lr": 0.003, "layers": 1, "optimizer": "sgd", "batch": 64}, "value": 0.4}]}`
	r, err = warmstart.ReadJSON(target(t), warmstart.Origin{Name: "r.json", Abs: "/r.json"}, []byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	want = `imported {"lr":0.002,"layers":1,"optimizer":"momentum","momentum":0.7,"batch":64} true loss=0.2 res=27 metrics=map[acc:0.9 loss:0.2] /r.json#1
imported {"lr":0.003,"layers":1,"optimizer":"sgd","batch":64} true loss=0.4 res=0 metrics=map[loss:0.4] /r.json#3
skip r.json#2: not completed: its state is pruned
dropped [width]
`
	if got := describe(r); got != want {
		t.Fatalf("nested:\n%s\nwant:\n%s", got, want)
	}
	for _, tc := range []struct{ json, err string }{
		{"{\n  \"trials\": [\n    {\"lr\": 0.1,}\n]}", "r.json:3:16: malformed JSON: invalid character '}' looking for beginning of object key string"},
		{`{"study": "x"}`, `r.json: no "trials" list; want a list of results, or {"trials": [...]} as automl report --format json writes`},
		{`[3]`, "r.json: result 1: want an object of parameters and metrics, got 3"},
		{`[{"lr": {"a": 1}, "loss": 1}]`, `r.json: result 1: parameter "lr": value {"a": 1}: not a number, string or bool`},
		{`[{"lr": 0.1, "loss": true}]`, "r.json: result 1: loss: want a number, got true"},
	} {
		_, err := warmstart.ReadJSON(target(t), warmstart.Origin{Name: "r.json"}, []byte(tc.json))
		if err == nil || err.Error() != tc.err {
			t.Errorf("%s:\n got  %v\n want %s", tc.json, err, tc.err)
		}
	}
}

func record(id int, st trial.State, loss float64, metrics trial.Metrics, kv ...any) trial.Record {
	var ps value.Values
	for i := 0; i+1 < len(kv); i += 2 {
		var v value.Value
		switch x := kv[i+1].(type) {
		case float64:
			v = value.Float(x)
		case int:
			v = value.Int(int64(x))
		case string:
			v = value.String(x)
		}
		ps = append(ps, value.NamedValue{Name: kv[i].(string), Value: v})
	}
	return trial.Record{ID: id, State: st, Params: ps, Value: loss, HasValue: st == trial.Completed || st == trial.Imported, Metrics: metrics, Attempt: 1}
}

// Another study's completed trials; its own imports and unfinished trials
// are skipped; a study of another metric gives that metric's final value.
func TestFromStudy(t *testing.T) {
	src := scheduler.StudyState{
		Study: &scheduler.Study{Name: "old", Objective: trial.Objective{Metric: "loss", Direction: trial.Minimize}},
		Trials: []trial.Record{
			record(0, trial.Completed, 0.3, trial.Metrics{"loss": 0.3}, "lr", 0.01, "layers", 2, "optimizer", "sgd", "batch", 32),
			record(1, trial.Failed, 0, nil, "lr", 0.01, "layers", 2, "optimizer", "sgd", "batch", 32),
			record(2, trial.Imported, 0.1, nil, "lr", 0.01, "layers", 2, "optimizer", "sgd", "batch", 32),
			record(3, trial.Completed, 0.2, trial.Metrics{"loss": 0.2}, "lr", 0.05, "layers", 3, "optimizer", "sgd", "batch", 32, "dropout", 0.1),
		},
	}
	src.Trials[2].Source = "/a.csv:3"
	o := warmstart.Origin{Name: "old.db", Abs: "/x/old.db"}
	r, err := warmstart.FromStudy(target(t), o, src)
	if err != nil {
		t.Fatal(err)
	}
	want := `imported {"lr":0.01,"layers":2,"optimizer":"sgd","batch":32} true loss=0.3 res=0 metrics=map[loss:0.3] /x/old.db:old/0
imported {"lr":0.05,"layers":3,"optimizer":"sgd","batch":32} true loss=0.2 res=0 metrics=map[loss:0.2] /x/old.db:old/3
skip old.db:old/1: not completed: its state is failed
skip old.db:old/2: imported there: that study imported it from /a.csv:3
dropped [dropout]
`
	if got := describe(r); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	// A study of accuracy whose trials never reported loss.
	src.Study.Metric = "accuracy"
	for i := range src.Trials {
		src.Trials[i].Metrics = trial.Metrics{"accuracy": 0.5}
	}
	if _, err := warmstart.FromStudy(target(t), o, src); err == nil || err.Error() != "old.db: no trial of study old reported loss, the objective's metric here (that study's is accuracy)" {
		t.Fatalf("another metric: %v", err)
	}
}

// What automl report writes (CSV, JSON, JSON with --columns) reads back as
// the same results.
func TestReportExportsReadBack(t *testing.T) {
	study := &scheduler.Study{Name: "old", Objective: trial.Objective{Metric: "loss", Direction: trial.Minimize}, Status: scheduler.StudyDone}
	recs := []trial.Record{
		record(0, trial.Completed, 0.3, trial.Metrics{"loss": 0.3, "acc": 0.8}, "lr", 0.0123456789, "layers", 2, "optimizer", "momentum", "momentum", 0.75, "batch", 64),
		record(1, trial.Completed, 0.2, trial.Metrics{"loss": 0.2}, "lr", 0.001, "layers", 4, "optimizer", "-adam", "batch", 32),
		record(2, trial.Failed, 0, nil, "lr", 0.001, "layers", 4, "optimizer", "sgd", "batch", 32),
	}
	rows := report.Leaderboard(study, recs)
	var csvOut, jsonOut, colsOut bytes.Buffer
	if err := report.WriteCSV(&csvOut, report.Columns(study, rows), rows); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(&jsonOut, study, rows, nil); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSONColumns(&colsOut, study, rows, []string{"trial", "state", "loss", "lr", "layers", "optimizer", "momentum", "batch"}); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() (warmstart.Result, error){
		"csv":     func() (warmstart.Result, error) { return warmstart.ReadCSV(target(t), origin, csvOut.Bytes()) },
		"json":    func() (warmstart.Result, error) { return warmstart.ReadJSON(target(t), origin, jsonOut.Bytes()) },
		"columns": func() (warmstart.Result, error) { return warmstart.ReadJSON(target(t), origin, colsOut.Bytes()) },
	} {
		r, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.Records) != 2 || len(r.Skipped) != 1 || r.Skipped[0].Reason != "not completed" {
			t.Fatalf("%s: %s", name, describe(r))
		}
		// Best first, as the leaderboard writes them.
		for i, want := range []trial.Record{recs[1], recs[0]} {
			got := r.Records[i]
			if js(got.Params) != js(want.Params) || got.Value != want.Value {
				t.Errorf("%s: result %d is %s = %g, want %s = %g", name, i, js(got.Params), got.Value, js(want.Params), want.Value)
			}
		}
	}
}

// A result without a parameter the space gives a default: takes the
// default, and a default that makes a child active gives the child its
// own (or the result is skipped when the child has none).
func TestReadCSVDefaults(t *testing.T) {
	withDefaults := strings.NewReplacer(
		"batch: {type: categorical, choices: [32, 64]}", "batch: {type: categorical, choices: [32, 64], default: 64}",
		`choices: [sgd, momentum, "-adam"]}`, `choices: [sgd, momentum, "-adam"], default: momentum}`,
	).Replace(space)
	for _, tc := range []struct {
		name, space, want string
	}{
		{"child without a default", withDefaults, `imported {"lr":0.01,"layers":2,"optimizer":"sgd","batch":64} true loss=0.3 res=0 metrics=map[loss:0.3] /data/in.csv:2
skip in.csv:3: missing a parameter: parameter "momentum" is missing, and the space gives it no default
`},
		{"child with a default", strings.Replace(withDefaults, "when: {optimizer: momentum}", "when: {optimizer: momentum}, default: 0.9", 1),
			`imported {"lr":0.01,"layers":2,"optimizer":"sgd","batch":64} true loss=0.3 res=0 metrics=map[loss:0.3] /data/in.csv:2
imported {"lr":0.02,"layers":3,"optimizer":"momentum","momentum":0.9,"batch":64} true loss=0.2 res=0 metrics=map[loss:0.2] /data/in.csv:3
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := spacefile.Parse("space.yaml", []byte(tc.space))
			if err != nil {
				t.Fatal(err)
			}
			r, err := warmstart.ReadCSV(warmstart.Target{Space: f.Space, Objective: f.Objective}, origin,
				[]byte("lr,layers,optimizer,loss\n0.01,2,sgd,0.3\n0.02,3,,0.2\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(r); got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
