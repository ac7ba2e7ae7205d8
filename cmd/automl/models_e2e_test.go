package main

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"automl/internal/modelfiles"
)

// irisSplit writes iris with a split column into dir (see writeSplit)
// and returns the test rows.
func irisSplit(t *testing.T, dir string) (header []string, test [][]string) {
	return writeSplit(t, "../../testdata/datasets/iris.csv", filepath.Join(dir, "iris.csv"))
}

// writeSplit copies the CSV file src to dst with a split column (every
// 5th row test, the next validation, the rest train) and returns the test
// rows (header and records, without the split column).
func writeSplit(t *testing.T, src, dst string) (header []string, test [][]string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	_ = w.Write(append(slices.Clone(recs[0]), "split"))
	for i, r := range recs[1:] {
		split := map[int]string{0: "test", 1: "validation"}[i%5]
		if split == "" {
			split = "train"
		}
		if split == "test" {
			test = append(test, r)
		}
		_ = w.Write(append(slices.Clone(r), split))
	}
	w.Flush()
	if err := errors.Join(w.Error(), out.Close()); err != nil {
		t.Fatal(err)
	}
	return recs[0], test
}

const modelsSpace = `study: iris
objective: {metric: val_accuracy, direction: maximize}
budget: {trials: 6}
algorithm: {name: random, seed: 5}
keep_models: 2
trainer:
  plugin: mlp
  config: {dataset: iris.csv, target: target, split_column: split, epochs: 12, threads: 1}
parameters:
  learning_rate: {type: float, low: 1.0e-2, high: 1.0e-1, log: true}
  units: {type: int, low: 8, high: 32, log: true}
`

// writeCSVFile writes records as CSV, gzip-compressed when path ends in .gz.
func writeCSVFile(t *testing.T, path string, recs [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var w *csv.Writer
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(f)
		w = csv.NewWriter(zw)
	} else {
		w = csv.NewWriter(f)
	}
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestUseTheModel: an mlp study on the embedded default keeps the models
// of its best 2 trials (keep_models: 2) and every holdout; the best one,
// exported, predicts the test split (a gzip file) with the very accuracy
// the trial reported; --proba's columns sum to 1; a missing column exits
// 1 naming it and the file.
func TestUseTheModel(t *testing.T) {
	dir := t.TempDir()
	header, test := irisSplit(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(modelsSpace), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
	checkKept(t, dir, "iris", 6, 2)

	if _, errOut, code := automl(t, dir, "model", "export", "iris", "--best", "-o", "best.automl"); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	writeCSVFile(t, filepath.Join(dir, "test.csv.gz"), append([][]string{header}, test...))
	out, errOut, code := automl(t, dir, "predict", "-m", "best.automl", "test.csv.gz", "--proba")
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	head, rows, get := readCSV(t, out)
	if len(rows) != len(test) || head[0] != "row" || head[1] != "prediction" || len(head) != 5 {
		t.Fatalf("predict --proba: header %v, %d rows; want row, prediction and 3 p_ columns for %d rows", head, len(rows), len(test))
	}
	right := 0
	for i, r := range rows {
		if get(r, "row") != strconv.Itoa(i+1) {
			t.Fatalf("row %d is numbered %s", i+1, get(r, "row"))
		}
		if get(r, "prediction") == test[i][len(test[i])-1] {
			right++
		}
		sum := 0.0
		for _, h := range head[2:] {
			x, err := strconv.ParseFloat(get(r, h), 64)
			if err != nil || x < 0 || x > 1 {
				t.Fatalf("row %d: %s = %s", i+1, h, get(r, h))
			}
			sum += x
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("row %d: probabilities sum to %v", i+1, sum)
		}
	}
	got := float64(right) / float64(len(test))
	out, _, _ = automl(t, dir, "trials", "iris", "--top", "1", "--json", "--columns", "trial,test_accuracy")
	var best struct {
		Trials []struct {
			TestAccuracy float64 `json:"test_accuracy"`
		} `json:"trials"`
	}
	if err := json.Unmarshal([]byte(out), &best); err != nil || len(best.Trials) != 1 {
		t.Fatalf("trials --json: %v\n%s", err, out)
	}
	if math.Abs(got-best.Trials[0].TestAccuracy) > 1e-9 {
		t.Errorf("predict's accuracy on the test split %v, the best trial reported %v", got, best.Trials[0].TestAccuracy)
	}
	t.Logf("best trial's test accuracy %v, reproduced by automl predict on %d rows", got, len(test))

	// --id names the rows by a column (not given to the model), -o writes
	// a file, --json the same as JSON: the same predictions.
	var withID [][]string
	for i, r := range append([][]string{header}, test...) {
		id := "id"
		if i > 0 {
			id = "flower-" + strconv.Itoa(i)
		}
		withID = append(withID, append([]string{id}, r...))
	}
	writeCSVFile(t, filepath.Join(dir, "ids.csv"), withID)
	if _, errOut, code := automl(t, dir, "predict", "-m", "best.automl", "ids.csv", "--id", "id", "-o", "preds.csv"); code != 0 {
		t.Fatalf("predict --id -o: exit %d: %s", code, errOut)
	}
	text, err := os.ReadFile(filepath.Join(dir, "preds.csv"))
	if err != nil {
		t.Fatal(err)
	}
	idHead, idRows, idGet := readCSV(t, string(text))
	if !slices.Equal(idHead, []string{"id", "prediction"}) || len(idRows) != len(rows) || idGet(idRows[2], "id") != "flower-3" || idGet(idRows[2], "prediction") != get(rows[2], "prediction") {
		t.Errorf("predict --id -o: %v, %d rows:\n%s", idHead, len(idRows), text)
	}
	out, errOut, code = automl(t, dir, "predict", "-m", "best.automl", "test.csv.gz", "--json", "--proba")
	var js struct {
		Rows        int
		Classes     []string
		Predictions []jsonPrediction
	}
	if err := json.Unmarshal([]byte(out), &js); code != 0 || err != nil || js.Rows != len(rows) || len(js.Classes) != 3 ||
		js.Predictions[4].Prediction != get(rows[4], "prediction") || len(js.Predictions[4].Proba) != 3 {
		t.Errorf("predict --json: exit %d, %v: %s%s", code, err, out, errOut)
	}
	// A file named .gz that is not gzip-compressed; no such file; no -m.
	writeCSVFile(t, filepath.Join(dir, "plain.csv"), append([][]string{header}, test...))
	if err := os.Rename(filepath.Join(dir, "plain.csv"), filepath.Join(dir, "plain.csv.gz")); err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]struct {
		code int
		text string
	}{
		"predict -m best.automl plain.csv.gz":  {1, "plain.csv.gz: ends in .gz but is not gzip-compressed"},
		"predict -m best.automl nosuch.csv":    {2, "no data file nosuch.csv"},
		"predict -m nosuch.automl test.csv.gz": {2, "no model file nosuch.automl"},
		"predict test.csv.gz":                  {2, "-m MODEL"},
		"predict -m best.automl ids.csv":       {1, `column "id"`},
	} {
		if _, errOut, code := automl(t, dir, strings.Fields(args)...); code != want.code || !strings.Contains(errOut, want.text) {
			t.Errorf("%s: exit %d: %s; want %d and %q", args, code, errOut, want.code, want.text)
		}
	}

	// A missing column: exit 1, naming the column and the file.
	var cut [][]string
	for _, r := range append([][]string{header}, test...) {
		cut = append(cut, slices.Delete(slices.Clone(r), 3, 4))
	}
	writeCSVFile(t, filepath.Join(dir, "cut.csv"), cut)
	_, errOut, code = automl(t, dir, "predict", "-m", "best.automl", "cut.csv")
	if code != 1 || !strings.Contains(errOut, "cut.csv") || !strings.Contains(errOut, header[3]) {
		t.Errorf("predict without %s: exit %d: %s", header[3], code, errOut)
	}
}

// checkKept: the study's models directory holds n holdout files and keep
// model files, those of the best completed trials (automl model list).
func checkKept(t *testing.T, dir, study string, n, keep int) {
	t.Helper()
	out, errOut, code := automl(t, dir, "model", "list", study, "--json")
	if code != 0 {
		t.Fatalf("model list: exit %d: %s", code, errOut)
	}
	var ms studyModels
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("model list --json: %v\n%s", err, out)
	}
	holdouts := 0
	for i, m := range ms.Models {
		if m.Holdout != "" {
			holdouts++
		}
		if kept := m.Model != ""; kept != (i < keep) || m.State != "completed" {
			t.Errorf("model list: %+v at place %d; want the first %d completed with a model", m, i, keep)
		}
	}
	if len(ms.Models) != n || holdouts != n {
		t.Errorf("model list: %d trials, %d with a holdout; want %d each:\n%s", len(ms.Models), holdouts, n, out)
	}
	ents, _ := os.ReadDir(modelfiles.StudyDir(filepath.Join(dir, "automl.db.models"), study))
	if len(ents) != n+keep {
		t.Errorf("models directory holds %d files, want %d", len(ents), n+keep)
	}
}

// On a fleet (--nats, the trials run by a separate automl worker process)
// the scheduler keeps the models too: they travel in the checkpoints.
func TestModelsFromAFleet(t *testing.T) {
	bin := natsServerBin(t)
	dir := t.TempDir()
	irisSplit(t, dir)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(modelsSpace), 0o644); err != nil {
		t.Fatal(err)
	}
	n := startNATS(t, bin, "n1", freePort(t), dir, nil)
	waitJetStream(t, n.url())
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--nats", n.url(), "--parallel", "2", "--top", "0")
	w := startAutoml(t, dir, "worker", append([]string{"worker", "--nats", n.url(), "--gpus", "none", "--slots", "2", "--name", "remote"}, trustFlag(t, dir)...)...)
	if code := search.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s\nworker:\n%s", code, tailFile(search.log, 20), tailFile(w.log, 20))
	}
	trs, _ := fleetTrials(t, dir, "iris")
	for _, tr := range trs {
		if tr.Worker != "remote" {
			t.Errorf("trial %d ran on %q, want the remote worker", tr.ID, tr.Worker)
		}
	}
	checkKept(t, dir, "iris", 6, 2)
	if _, errOut, code := automl(t, dir, "model", "export", "iris", "-o", "best.automl"); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	if fi, err := os.Stat(filepath.Join(dir, "best.automl")); err != nil || fi.Size() == 0 {
		t.Fatal(fmt.Sprint("exported model: ", err))
	}
}
