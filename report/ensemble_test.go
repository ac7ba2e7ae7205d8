package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func f64(v float64) *float64 { return &v }

func testEnsemble() *Ensemble {
	return &Ensemble{File: "ensemble.automl", Metric: "accuracy", Maximize: true, Size: 10, Rounds: 6,
		Members: []EnsembleMember{{Trial: 3, Weight: 4}, {Trial: 7, Weight: 1}, {Trial: 1, Weight: 1}},
		Val:     0.975, Test: f64(0.95), Best: EnsembleMember{Trial: 3, Val: f64(0.95), Test: f64(0.925)}}
}

func TestEnsembleLine(t *testing.T) {
	e := testEnsemble()
	if got, want := e.Line(), "ensemble of 3 models (6 rounds, by accuracy): val 0.975, test 0.95 — best single trial #3: val 0.95, test 0.925"; got != want {
		t.Errorf("line\n %s\nwant\n %s", got, want)
	}
	if got, want := e.Weights(), "#3×4, #7, #1"; got != want {
		t.Errorf("weights %q, want %q", got, want)
	}
	e.SelectedBy = "log_loss"
	if got, want := e.Line(), "ensemble of 3 models (6 rounds, selected by log_loss, scored by accuracy): val 0.975, test 0.95 — best single trial #3: val 0.95, test 0.925"; got != want {
		t.Errorf("selected by another metric: line\n %s\nwant\n %s", got, want)
	}
	e.SelectedBy = ""
	e.Test, e.Best.Test = nil, nil
	e.Members, e.Rounds = e.Members[:1], 1
	if got, want := e.Line(), "ensemble of 1 model (1 round, by accuracy): val 0.975 — best single trial #3: val 0.95"; got != want {
		t.Errorf("line without a test split\n %s\nwant\n %s", got, want)
	}
}

func TestReadEnsemble(t *testing.T) {
	dir := t.TempDir()
	if e, err := ReadEnsemble(filepath.Join(dir, EnsembleFile)); e != nil || err != nil {
		t.Errorf("missing record: %v %v, want nil nil", e, err)
	}
	path := filepath.Join(dir, EnsembleFile)
	b, _ := json.Marshal(testEnsemble())
	os.WriteFile(path, b, 0o644)
	e, err := ReadEnsemble(path)
	if err != nil || e.Line() != testEnsemble().Line() {
		t.Errorf("read back: %v %v", e, err)
	}
	for _, bad := range []string{"{", `{"metric": "", "rounds": 2, "members": [{"trial": 1}]}`, `{"metric": "rmse", "rounds": 0}`} {
		os.WriteFile(path, []byte(bad), 0o644)
		if _, err := ReadEnsemble(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file", bad, err)
		}
	}
}

// The JSON export and the page's data carry the ensemble when there is
// one, and nothing of it otherwise.
func TestEnsembleInJSON(t *testing.T) {
	d := fixtureData(t, 12, false)
	for _, ens := range []*Ensemble{nil, testEnsemble()} {
		var b bytes.Buffer
		if err := WriteJSON(&b, d.Study, d.Rows, ens); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Trials   []json.RawMessage `json:"trials"`
			Ensemble *Ensemble         `json:"ensemble"`
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("export is not JSON: %v\n%s", err, b.String())
		}
		if len(doc.Trials) != 12 || (ens == nil) != (doc.Ensemble == nil) || (ens != nil && doc.Ensemble.Line() != ens.Line()) {
			t.Errorf("export with ensemble %v: %d trials, ensemble %+v", ens != nil, len(doc.Trials), doc.Ensemble)
		}
		d.Ensemble = ens
		var page struct {
			Ensemble *Ensemble `json:"ensemble"`
		}
		if err := json.Unmarshal(d.AppendJSON(nil, View{}, generated), &page); err != nil {
			t.Fatal(err)
		}
		if (ens == nil) != (page.Ensemble == nil) || (ens != nil && page.Ensemble.Weights() != ens.Weights()) {
			t.Errorf("page data with ensemble %v: %+v", ens != nil, page.Ensemble)
		}
	}
}
