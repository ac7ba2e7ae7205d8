package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"automl/internal/modelfiles"
	"automl/model"
	"automl/model/ensemble"
	"automl/report"
	"automl/spacefile"
)

// ensembleData writes testdata's breast_cancer.csv into dir with a split
// column (see writeSplit) and returns the test rows and their labels.
func ensembleData(t *testing.T, dir string) (header []string, test [][]string, labels []string) {
	header, test = writeSplit(t, "../../testdata/datasets/breast_cancer.csv", filepath.Join(dir, "data.csv"))
	target := slices.Index(header, "target")
	for _, r := range test {
		labels = append(labels, r[target])
	}
	return header, test, labels
}

const ensembleSpace = `study: ens
objective: {metric: val_loss, direction: minimize}
budget: {trials: 6}
algorithm: {name: random, seed: 4}
keep_models: 4
ensemble: {size: 8}
trainer:
  plugin: mlp
  config: {dataset: data.csv, target: target, split_column: split, epochs: 8, threads: 1}
parameters:
  learning_rate: {type: float, low: 1.0e-3, high: 3.0e-1, log: true}
  units: {type: int, low: 2, high: 32, log: true}
  dropout: {type: float, low: 0.0, high: 0.5}
`

// logLoss of predicted class probabilities against the labels (class names).
func logLoss(t *testing.T, p *model.Predictions, labels []string) float64 {
	t.Helper()
	var sum float64
	for i, l := range labels {
		c := slices.Index(p.Classes, l)
		if c < 0 {
			t.Fatalf("label %q not among the classes %v", l, p.Classes)
		}
		sum -= math.Log(min(max(p.Probabilities(i)[c], 1e-15), 1-1e-15))
	}
	return sum / float64(len(labels))
}

// An mlp study whose file asks for an ensemble builds it when it ends; the
// file predicts the raw test rows as the selection scored them; the report
// shows it beside the best single trial; automl model ensemble builds
// another on demand and refuses bad input.
func TestEnsembleEndToEnd(t *testing.T) {
	dir := t.TempDir()
	header, test, labels := ensembleData(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(ensembleSpace), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := automl(t, dir, "validate", "-space", "space.yaml")
	if want := "  ensemble: when the study ends, 8 rounds of greedy selection among the kept models, by the objective's metric when the holdout predictions can compute it (log_loss for accuracy"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("validate: exit %d (%s), want %q:\n%s", code, errOut, want, out)
	}
	bad := strings.Replace(ensembleSpace, "ensemble: {size: 8}", "ensemble: {size: 8, metric: rmse}", 1)
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	// rmse of a classifier: refused once the data set says the task.
	if out, _, code := automl(t, dir, "validate", "-space", "bad.yaml"); code != 2 || !strings.Contains(out, `bad.yaml:6:1: ensemble: metric rmse is for regression; the target "target" is binary`) {
		t.Errorf("validate bad.yaml: exit %d, want 2 and the metric refused at the ensemble: line:\n%s", code, out)
	}
	out, errOut, code = automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "--parallel", "2")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "ensemble of ") || !strings.Contains(errOut, ", by log_loss): val ") {
		t.Errorf("search did not say it built the ensemble:\n%s", errOut)
	}
	studyDir := modelfiles.StudyDir(modelfiles.Root(filepath.Join(dir, "automl.db")), "ens")
	rec, err := report.ReadEnsemble(filepath.Join(studyDir, report.EnsembleFile))
	if err != nil || rec == nil {
		t.Fatalf("ensemble record: %v %v", rec, err)
	}
	root := newRootCmd()
	root.SetContext(context.Background())
	study, rows, ms, err := loadModels(root, filepath.Join(dir, "automl.db"), "ens")
	if err != nil {
		t.Fatal(err)
	}
	kept := ms.kept()

	// The same models under an accuracy objective: with no metric named the
	// selection runs by log loss and the scores are accuracies; named, by
	// accuracy itself.
	acc := *study
	acc.Metric = "val_accuracy"
	byLL, _, err := buildEnsemble(study, rows, ms, ensemble.Options{Size: 8}, "log_loss", filepath.Join(dir, "ll.automl"))
	if err != nil {
		t.Fatal(err)
	}
	smooth, _, err := buildEnsemble(&acc, rows, ms, ensemble.Options{Size: 8}, "", filepath.Join(dir, "smooth.automl"))
	if err != nil {
		t.Fatal(err)
	}
	if smooth.Metric != "accuracy" || !smooth.Maximize || smooth.SelectedBy != "log_loss" || smooth.Weights() != byLL.Weights() ||
		smooth.Val < 0.5 || smooth.Val > 1 || smooth.Test == nil || *smooth.Test < 0.5 || *smooth.Test > 1 ||
		!strings.Contains(smooth.Line(), "rounds, selected by log_loss, scored by accuracy): val ") {
		t.Errorf("accuracy objective, no metric named: %+v (%s), want the log-loss selection %s scored by accuracy", smooth, smooth.Line(), byLL.Weights())
	}
	named, _, err := buildEnsemble(&acc, rows, ms, ensemble.Options{Size: 8}, "accuracy", filepath.Join(dir, "named.automl"))
	if err != nil || named.Metric != "accuracy" || named.SelectedBy != "" || !strings.Contains(named.Line(), ", by accuracy): val ") {
		t.Errorf("--metric accuracy: %+v %v", named, err)
	}
	total := 0
	for _, m := range rec.Members {
		total += m.Weight
		if !slices.Contains(kept, m.Trial) || m.Weight < 1 || m.Val == nil || m.Test == nil {
			t.Errorf("member %+v: not a kept model (%v) or lacks its scores", m, kept)
		}
	}
	if rec.Metric != "log_loss" || rec.Maximize || rec.Size != 8 || rec.Rounds < 1 || rec.Rounds > 8 || total != rec.Rounds || rec.Test == nil {
		t.Errorf("record %+v: want log_loss, size 8, weights summing to the rounds, a test score", rec)
	}
	if rec.Best.Trial != rows[0].ID || rec.Best.Val == nil || rec.Best.Test == nil {
		t.Errorf("best single trial %+v, want the leaderboard's first, %d, with its scores", rec.Best, rows[0].ID)
	}
	// The best single trial by val_loss is the best candidate by log loss
	// (up to the holdout's float32 probabilities): selection starts there
	// and keeps a round only when it does better.
	if rec.Val > *rec.Best.Val+1e-5 || math.Abs(*rec.Best.Val-rows[0].Metrics["val_loss"]) > 1e-4 {
		t.Errorf("ensemble val %v, best trial's %v (val_loss %v)", rec.Val, *rec.Best.Val, rows[0].Metrics["val_loss"])
	}

	// The ensemble file predicts the raw test rows as the selection's
	// averaged holdout predictions scored them.
	ens, err := model.Load(filepath.Join(studyDir, ensembleFile))
	if err != nil {
		t.Fatal(err)
	}
	if members, weights := ens.Members(); ens.Kind() != model.KindEnsemble || len(members) != len(rec.Members) || weights[0] != rec.Members[0].Weight {
		t.Errorf("ensemble file: kind %s, %d members, weights %v; record %+v", ens.Kind(), len(members), weights, rec.Members)
	}
	pred, err := ens.PredictRecords(header, test, model.Options{Source: "test rows"})
	if err != nil {
		t.Fatal(err)
	}
	if got := logLoss(t, pred, labels); math.Abs(got-*rec.Test) > 1e-5 {
		t.Errorf("the ensemble's test log loss from the file %v, recorded %v", got, *rec.Test)
	}

	// automl predict takes the ensemble file like a single model.
	tf, err := os.Create(filepath.Join(dir, "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	tw := csv.NewWriter(tf)
	_ = tw.WriteAll(append([][]string{header}, test...))
	tf.Close()
	if _, errOut, code := automl(t, dir, "predict", "-m", filepath.Join(studyDir, ensembleFile), "test.csv", "--proba", "-o", "preds.csv"); code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	pf, err := os.Open(filepath.Join(dir, "preds.csv"))
	if err != nil {
		t.Fatal(err)
	}
	preds, err := csv.NewReader(pf).ReadAll()
	pf.Close()
	if err != nil || len(preds) != len(test)+1 || !slices.Equal(preds[0], []string{"row", "prediction", "p_" + pred.Classes[0], "p_" + pred.Classes[1]}) {
		t.Fatalf("predict wrote %d rows (%v), header %v; want %d and row, prediction, p_%s, p_%s", len(preds), err, preds[0], len(test)+1, pred.Classes[0], pred.Classes[1])
	}
	for i, r := range preds[1:] {
		p1, _ := strconv.ParseFloat(r[3], 64)
		if want := pred.Probabilities(i)[1]; r[1] != pred.Label(i) || math.Abs(p1-want) > 1e-6 {
			t.Fatalf("predict row %d: %v; the Go API: %s %v", i+1, r, pred.Label(i), want)
		}
	}

	// The report shows it beside the best single trial.
	md, errOut, code := automl(t, dir, "report", "ens", "--format", "md")
	if want := "\nE" + rec.Line()[1:] + "\n"; code != 0 || !strings.Contains(md, want) || !strings.Contains(want, "by log_loss): val ") ||
		!strings.Contains(md, "best single trial #"+strconv.Itoa(rec.Best.Trial)+": val ") || !strings.Contains(md, "Members (trial×weight): #"+strconv.Itoa(rec.Members[0].Trial)) {
		t.Errorf("report md: exit %d (%s), want %q and the best trial:\n%s", code, errOut, want, md)
	}
	js, _, code := automl(t, dir, "report", "ens", "--format", "json")
	var doc struct {
		Ensemble *report.Ensemble `json:"ensemble"`
	}
	if err := json.Unmarshal([]byte(js), &doc); code != 0 || err != nil || doc.Ensemble == nil || doc.Ensemble.Line() != rec.Line() {
		t.Errorf("report json: exit %d, %v, ensemble %+v", code, err, doc.Ensemble)
	}
	if _, errOut, code := automl(t, dir, "report", "ens", "--format", "html", "-o", "r.html"); code != 0 {
		t.Errorf("report html: exit %d: %s", code, errOut)
	} else if page, _ := os.ReadFile(filepath.Join(dir, "r.html")); !strings.Contains(string(page), `"ensemble":{"file":`) {
		t.Error("the html report's data lacks the ensemble")
	}

	t.Run("in the browser", func(t *testing.T) {
		chromiumPath(t)
		shot := filepath.Join(t.TempDir(), "report-ensemble.png")
		dom := dumpAndShoot(t, "file://"+filepath.Join(dir, "r.html"), shot, 1300, 900)
		if want := `<div class="ensemble" id="ensemble"><div>` + rec.Line() + `</div>`; !strings.Contains(dom, want) {
			t.Errorf("the page does not show %s", want)
		}
	})

	// automl model ensemble: another size, file and metric, on demand; the
	// study's record stays as it was.
	js, errOut, code = automl(t, dir, "model", "ensemble", "ens", "--size", "3", "--metric", "accuracy", "-o", "small.automl", "--json")
	var small struct {
		Study string `json:"study"`
		report.Ensemble
	}
	if err := json.Unmarshal([]byte(js), &small); code != 0 || err != nil || small.Study != "ens" || small.Metric != "accuracy" || !small.Maximize || small.Size != 3 || small.Rounds > 3 || small.File != "small.automl" {
		t.Fatalf("model ensemble --json: exit %d (%s), %v:\n%s", code, errOut, err, js)
	}
	if again, _ := report.ReadEnsemble(filepath.Join(studyDir, report.EnsembleFile)); again.Line() != rec.Line() {
		t.Errorf("an ensemble written elsewhere changed the study's record: %s", again.Line())
	}
	if _, err := model.Load(filepath.Join(dir, "small.automl")); err != nil {
		t.Errorf("small.automl: %v", err)
	}
	// --bags and --init: recorded, the weights summing to the rounds, and
	// the same ensemble twice (the bags' draws are seeded).
	var bagged [2]string
	for i := range bagged {
		bagged[i], errOut, code = automl(t, dir, "model", "ensemble", "ens", "--size", "4", "--init", "2", "--bags", "5", "--metric", "brier", "-o", "bags.automl", "--json")
		if code != 0 {
			t.Fatalf("model ensemble --bags: exit %d: %s", code, errOut)
		}
		bagged[i] = regexp.MustCompile(`,\s*"created": "[^"]*"`).ReplaceAllString(bagged[i], "")
	}
	var bg report.Ensemble
	if err := json.Unmarshal([]byte(bagged[0]), &bg); err != nil || bg.Bags != 5 || bg.Init != 2 || bg.Metric != "brier" || bg.Maximize {
		t.Fatalf("model ensemble --bags --json: %v:\n%s", err, bagged[0])
	}
	if bagged[0] != bagged[1] {
		t.Errorf("two bagged selections differ:\n%s\n%s", bagged[0], bagged[1])
	}
	sumW := 0
	for _, m := range bg.Members {
		sumW += m.Weight
	}
	if bg.Rounds < 5*2 || sumW != bg.Rounds {
		t.Errorf("bagged: %d rounds, weights %s: want at least 5 bags x 2 initial, summing to the rounds", bg.Rounds, bg.Weights())
	}
	if _, err := model.Load(filepath.Join(dir, "bags.automl")); err != nil {
		t.Errorf("bags.automl: %v", err)
	}
	txt, errOut, code := automl(t, dir, "model", "ensemble", "ens", "--size", "2", "-o", "two.automl")
	if code != 0 || !strings.Contains(txt, "ensemble written to two.automl") || !strings.Contains(txt, "TRIAL") || !strings.Contains(txt, "VAL LOG_LOSS") || !strings.Contains(txt, "best single trial #") {
		t.Errorf("model ensemble: exit %d (%s):\n%s", code, errOut, txt)
	}

	// A record that cannot be read leaves the report without the ensemble,
	// with a warning; automl model ensemble without -o writes it again.
	record := filepath.Join(studyDir, report.EnsembleFile)
	if err := os.WriteFile(record, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	md, errOut, code = automl(t, dir, "report", "ens", "--format", "md")
	if code != 0 || strings.Contains(md, "Ensemble of") || !strings.Contains(errOut, "the report leaves the ensemble out: "+filepath.Join("automl.db.models", "ens", report.EnsembleFile)+": unexpected end of JSON input") {
		t.Errorf("report with a broken record: exit %d, stderr %q:\n%s", code, errOut, md)
	}
	if _, errOut, code := automl(t, dir, "model", "ensemble", "ens", "--size", "5"); code != 0 {
		t.Fatalf("model ensemble without -o: exit %d: %s", code, errOut)
	}
	again, err := report.ReadEnsemble(record)
	if err != nil || again == nil || again.Size != 5 || again.File != filepath.Join("automl.db.models", "ens", ensembleFile) {
		t.Fatalf("the record written again: %+v %v", again, err)
	}
	if md, _, _ := automl(t, dir, "report", "ens", "--format", "md"); !strings.Contains(md, "E"+again.Line()[1:]) {
		t.Errorf("report after the record was written again:\n%s", md)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--size", "0"}, "--size must be 1 to 1000, got 0"},
		{[]string{"--size", "3", "--init", "4"}, "--init 4 exceeds the ensemble's size 3"},
		{[]string{"--bags", "-1"}, "--bags 0 to 1000, got --init 0 --bags -1"},
		{[]string{"--metric", "rmse"}, "--metric: metric rmse is for regression; the models predict binary classes"},
		{[]string{"--metric", "precision"}, `unknown ensemble metric "precision"`},
	} {
		_, errOut, code := automl(t, dir, append([]string{"model", "ensemble", "ens", "-o", "x.automl"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	// the page says an ensemble selected by another metric than it is scored by
	if err := writeEnsembleRecord(studyDir, smooth); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := automl(t, dir, "report", "ens", "--format", "html", "-o", "smooth.html"); code != 0 {
		t.Fatalf("report html: exit %d: %s", code, errOut)
	}
	t.Run("selected by log loss, in the browser", func(t *testing.T) {
		chromiumPath(t)
		dom := dumpAndShoot(t, "file://"+filepath.Join(dir, "smooth.html"), filepath.Join(t.TempDir(), "smooth.png"), 1300, 900)
		if want := `<div class="ensemble" id="ensemble"><div>` + smooth.Line() + `</div>`; !strings.Contains(dom, want) {
			t.Errorf("the page does not show %s", want)
		}
	})
	if _, errOut, code := automl(t, dir, "model", "ensemble", "nosuch"); code != 2 || !strings.Contains(errOut, `no study "nosuch"`) {
		t.Errorf("no such study: exit %d, %s", code, errOut)
	}
}

// The study file checks ensemble.metric against its own list (spacefile
// imports nothing of the model); it must be the selection's.
func TestEnsembleMetricListsAgree(t *testing.T) {
	if got, want := spacefile.EnsembleMetrics, ensemble.Metrics(); !slices.Equal(got, want) {
		t.Errorf("spacefile.EnsembleMetrics %v, model/ensemble's %v", got, want)
	}
}
