package mlp

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"automl/spacefile"
)

// TestPreflightReadsTheWholeDataSet: each data set every trial would fail
// on passes the space file's check (only the header is read there) and is
// refused by the preflight, at the config key that decides it, with the
// data file's line where there is one.
func TestPreflightReadsTheWholeDataSet(t *testing.T) {
	dir := t.TempDir()
	rows := func(n int, class func(i int) int) string {
		var b strings.Builder
		b.WriteString("a,b,target\n")
		for i := range n {
			fmt.Fprintf(&b, "%d,%d,%d\n", i, i%7, class(i))
		}
		return b.String()
	}
	two := func(i int) int { return i % 2 }
	for _, tc := range []struct {
		name, csv, config, want string
	}{
		{"good", rows(40, two), "", ""},
		{"ragged row", rows(10, two) + "1,2\n" + rows(3, two)[len("a,b,target\n"):], "", `s.yaml:7:14: trainer.config.dataset: %s:12: row has 2 fields, the header has 3`},
		{"a header and no rows", "a,b,target\n", "", `s.yaml:7:14: trainer.config.dataset: %s: no data rows after the header`},
		{"a target with one class", rows(20, func(int) int { return 1 }), "    target: target\n", `s.yaml:8:13: trainer.config.target: %s: column "target": the target is constant`},
		{"no row to validate on", rows(4, two), "    validation: 0.1\n    test: 0\n", `s.yaml:8:17: trainer.config.validation: %s: validation 0.1 of 4 rows is no row`},
		{"not a number", rows(10, two) + "x,1,0\n", "    categorical: [b]\n", `%s:12: column 1 ("a"): "x" is not a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csv := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".csv")
			writeCSV(t, csv, tc.csv)
			text := "study: s\nobjective: {metric: val_accuracy, direction: maximize}\nbudget: {trials: 5}\ntrainer:\n  plugin: mlp\n  config:\n" +
				"    dataset: " + csv + "\n" + tc.config + "parameters:\n  learning_rate: {type: float, low: 0.001, high: 0.1, log: true}\n"
			sp, err := spacefile.Parse("s.yaml", []byte(text))
			if err != nil {
				t.Fatalf("the space file's own check: %v", err)
			}
			spec, _ := spacefile.LookupTrainer("mlp")
			checked, errs := spec.Preflight(sp, true)
			if tc.want == "" {
				if len(errs) > 0 || len(checked) != 1 || !strings.Contains(checked[0], "40 rows, binary target \"target\" (2 classes); 24 train, 8 validation, 8 test rows") {
					t.Fatalf("checked %q, errors %v", checked, errs)
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "%s", csv)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
				t.Fatalf("errors %v, want one containing %q", errs, want)
			}
		})
	}
}

// An ensemble: metric the task cannot be scored by is refused once the
// data set says the task, at the ensemble: line.
func TestPreflightEnsembleMetric(t *testing.T) {
	datasets := "../../testdata/datasets/"
	for _, tc := range []struct{ data, metric, want string }{
		{"breast_cancer.csv", "auc", ""},
		{"breast_cancer.csv", "rmse", `s.yaml:7:1: ensemble: metric rmse is for regression; the target "target" is binary (use accuracy`},
		{"iris.csv", "auc", `s.yaml:7:1: ensemble: metric auc is for two classes; the target "target" has 3`},
		{"iris.csv", "val_loss", ""},
		{"abalone.csv", "r2", ""},
		{"abalone.csv", "accuracy", `s.yaml:7:1: ensemble: metric accuracy is for classification; the target "target" is regression (use rmse, mae or r2)`},
	} {
		text := "study: s\nobjective: {metric: val_loss, direction: minimize}\ntrainer:\n  plugin: mlp\n  config:\n    dataset: " + datasets + tc.data +
			"\nensemble: {size: 5, metric: " + tc.metric + "}\nparameters:\n  learning_rate: {type: float, low: 0.001, high: 0.1, log: true}\n"
		sp, err := spacefile.Parse("s.yaml", []byte(text))
		if err != nil {
			t.Fatalf("%s %s: the space file's own check: %v", tc.data, tc.metric, err)
		}
		spec, _ := spacefile.LookupTrainer("mlp")
		_, errs := spec.Preflight(sp, true)
		if tc.want == "" {
			if len(errs) > 0 {
				t.Errorf("%s %s: %v", tc.data, tc.metric, errs)
			}
			continue
		}
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%s %s: errors %v, want %q", tc.data, tc.metric, errs, tc.want)
		}
	}
}
