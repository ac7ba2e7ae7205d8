package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"automl/backends/bolt"
	"automl/internal/modelfiles"
	"automl/model"
	"automl/report"
	"automl/report/keep"
	"automl/report/reporttest"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// modelsFixture stores the report fixture's study (60 trials: completed,
// pruned, failed) with keep_models: keep in its space file, and a fake
// model and holdout file for every trial in its models directory.
func modelsFixture(t *testing.T, keep string) (dir string, c scheduler.Change) {
	t.Helper()
	dir = t.TempDir()
	c = reporttest.Study(reporttest.Options{Trials: 60})
	c.Study.SpaceText = []byte(reporttest.Space + "keep_models: " + keep + "\n")
	st, err := bolt.Open(filepath.Join(dir, "automl.db"), &bolt.Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(context.Background(), c.Study.Name, c); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	root := modelfiles.Root(filepath.Join(dir, "automl.db"))
	for _, r := range c.Trials {
		for _, p := range []string{modelfiles.Model(root, c.Study.Name, r.ID), modelfiles.Holdout(root, c.Study.Name, r.ID)} {
			if err := modelfiles.WriteAtomic(p, strings.NewReader("model of trial "+strconv.Itoa(r.ID))); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir, c
}

// bestCompleted is the fixture's completed trials in leaderboard order.
func bestCompleted(c scheduler.Change) []int {
	var ids []int
	for _, r := range report.Leaderboard(c.Study, c.Trials) {
		if r.State == trial.Completed {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// With keep_models: 3 applied (report/keep tests the policy), automl model
// list shows the trials with files best first, the 3 models kept; export
// refuses, saying what is kept, a trial whose model went.
func TestKeepModelsAndModelCommands(t *testing.T) {
	dir, c := modelsFixture(t, "3")
	db := filepath.Join(dir, "automl.db")
	root := modelfiles.Root(db)
	best := bestCompleted(c)
	if len(best) < 5 || len(best) == len(c.Trials) {
		t.Fatalf("the fixture has %d completed trials of %d; the test needs some of each", len(best), len(c.Trials))
	}
	st, err := bolt.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = keep.Prune(context.Background(), st, root, c.Study.Name, 3)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, errOut, code := automl(t, dir, "model", "list", c.Study.Name, "--json")
	if code != 0 {
		t.Fatalf("model list: exit %d: %s", code, errOut)
	}
	var ms studyModels
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("model list --json: %v\n%s", err, out)
	}
	if ms.KeepModels == nil || *ms.KeepModels != 3 || len(ms.Models) != len(c.Trials) || !slices.Equal(ms.kept(), best[:3]) {
		t.Errorf("model list --json: keep_models %v, %d trials, kept %v; want 3, %d, %v", ms.KeepModels, len(ms.Models), ms.kept(), len(c.Trials), best[:3])
	}
	out, _, code = automl(t, dir, "model", "list", c.Study.Name)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.Contains(lines[0], "3 model file(s)") || !strings.Contains(lines[0], "keep_models: 3") ||
		!strings.Contains(lines[1], "VAL_LOSS") || !strings.HasPrefix(lines[2], "1 ") || !strings.Contains(lines[2], " "+strconv.Itoa(best[0])+" ") {
		t.Errorf("model list: exit %d:\n%s", code, out)
	}

	dst := filepath.Join(dir, "out", "best.automl")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	// The fixture's files are no models: export reads the model back
	// first and refuses it, naming it (TestUseTheModel exports real ones).
	_, errOut, code = automl(t, dir, "model", "export", c.Study.Name, "--best", "-o", dst)
	if bad := modelfiles.Model(modelfiles.Root("automl.db"), c.Study.Name, best[0]); code != 1 || !strings.Contains(errOut, bad) || !strings.Contains(errOut, "cannot be read") {
		t.Errorf("export --best of a file that is no model: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("export of a bad model left %s: %v", dst, err)
	}
	gone := best[4]
	_, errOut, code = automl(t, dir, "model", "export", c.Study.Name, "--trial", strconv.Itoa(gone), "-o", dst)
	if want := "trial " + strconv.Itoa(gone) + " of study fixture has no model file"; code != 1 || !strings.Contains(errOut, want) ||
		!strings.Contains(errOut, "keep_models: 3") || !strings.Contains(errOut, "kept: trials "+strconv.Itoa(best[0])) {
		t.Errorf("export of a trial whose model went: exit %d: %s", code, errOut)
	}
	for _, args := range [][]string{
		{"model", "export", c.Study.Name, "--best"},                            // no -o
		{"model", "export", c.Study.Name, "--best", "--trial", "1", "-o", dst}, // both
		{"model", "export", c.Study.Name, "-o", dst, "--format", "pickle"},     // no such format
		{"model", "export", "nosuch", "-o", dst},                               // no such study
	} {
		if _, errOut, code := automl(t, dir, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d (%s), want 2 with a message", args, code, errOut)
		}
	}
}

// The dispatcher harvests the files the trainer writes: the names it
// knows (it must not import package model) are the trainer's.
func TestHarvestedNamesAreTheTrainers(t *testing.T) {
	if modelfiles.ModelFile != model.ModelFile || modelfiles.HoldoutFile != model.HoldoutFile {
		t.Errorf("modelfiles harvests %s and %s; package model writes %s and %s",
			modelfiles.ModelFile, modelfiles.HoldoutFile, model.ModelFile, model.HoldoutFile)
	}
}

// BenchmarkKeepPrune: one prune of a stored study (read from the study
// file, ranked, its models directory listed), which automl search spaces
// by keepEvery. go test ./cmd/automl -run XXX -bench KeepPrune -benchtime 20x
func BenchmarkKeepPrune(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n)+"-trials", func(b *testing.B) {
			dir := b.TempDir()
			writeFixture(b, dir, reporttest.Options{Trials: n}, false)
			db := filepath.Join(dir, "automl.db")
			st, err := bolt.OpenReader(db)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			for i := range 5 {
				if err := modelfiles.WriteAtomic(modelfiles.Model(modelfiles.Root(db), "fixture", i), strings.NewReader("m")); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				if _, err := keep.Prune(context.Background(), st, modelfiles.Root(db), "fixture", 5); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// While a study runs, a harvest prunes at most every keepEvery; the prune
// when the search ends is not spaced.
func TestModelKeeperSpacesPrunes(t *testing.T) {
	dir, c := modelsFixture(t, "3")
	db := filepath.Join(dir, "automl.db")
	st, err := bolt.OpenReader(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	space, err := spacefile.ParseWithoutTrainer("space.yaml", c.Study.SpaceText)
	if err != nil {
		t.Fatal(err)
	}
	k := &modelKeeper{st: st, db: db, space: space, log: slog.New(slog.DiscardHandler)}
	models := func() int {
		n := 0
		for _, e := range keep.Scan(modelfiles.Root(db), c.Study, report.Leaderboard(c.Study, c.Trials)) {
			if e.Model != "" {
				n++
			}
		}
		return n
	}
	k.harvested(context.Background())
	if n := models(); n != 3 {
		t.Fatalf("first harvest: %d model files, want 3", n)
	}
	worst := -1 // a trial that keeps no model: one not completed
	for _, r := range c.Trials {
		if r.State != trial.Completed {
			worst = r.ID
		}
	}
	if err := modelfiles.WriteAtomic(modelfiles.Model(modelfiles.Root(db), c.Study.Name, worst), strings.NewReader("m")); err != nil {
		t.Fatal(err)
	}
	k.harvested(context.Background())
	if n := models(); n != 4 {
		t.Fatalf("a harvest within %v of the last prune: %d model files, want 4 (not pruned yet)", keepEvery, n)
	}
	k.apply(context.Background())
	if n := models(); n != 3 {
		t.Fatalf("the prune at the end: %d model files, want 3", n)
	}
}
