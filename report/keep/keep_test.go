package keep_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"automl/backends/memory"
	"automl/internal/modelfiles"
	"automl/report"
	"automl/report/keep"
	"automl/report/reporttest"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// fixture stores the report fixture's study (60 trials: completed,
// pruned, failed) and writes a model and a holdout file for every trial.
func fixture(t *testing.T) (*memory.Store, string, scheduler.Change) {
	t.Helper()
	c := reporttest.Study(reporttest.Options{Trials: 60})
	st := memory.New()
	if err := st.Commit(context.Background(), c.Study.Name, c); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "automl.db.models")
	for _, r := range c.Trials {
		for _, p := range []string{modelfiles.Model(root, c.Study.Name, r.ID), modelfiles.Holdout(root, c.Study.Name, r.ID)} {
			if err := modelfiles.WriteAtomic(p, strings.NewReader("trial "+strconv.Itoa(r.ID))); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st, root, c
}

// Prune keeps the model files of the best K completed trials by the
// leaderboard (all: every completed trial; 0: none) and every holdout
// file, and says which it deleted.
func TestPrune(t *testing.T) {
	for _, k := range []int{3, spacefile.KeepAllModels, 0} {
		st, root, c := fixture(t)
		var best []int
		for _, r := range report.Leaderboard(c.Study, c.Trials) {
			if r.State == trial.Completed {
				best = append(best, r.ID)
			}
		}
		if len(best) < 5 || len(best) == len(c.Trials) {
			t.Fatalf("the fixture has %d completed trials of %d; the test needs some of each", len(best), len(c.Trials))
		}
		want := best
		if k >= 0 {
			want = best[:k]
		}
		deleted, err := keep.Prune(context.Background(), st, root, c.Study.Name, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(deleted) != len(c.Trials)-len(want) {
			t.Errorf("keep %d: deleted %d model files, want %d", k, len(deleted), len(c.Trials)-len(want))
		}
		for _, r := range c.Trials {
			_, err := os.Stat(modelfiles.Model(root, c.Study.Name, r.ID))
			if kept := slices.Contains(want, r.ID); kept != (err == nil) {
				t.Errorf("keep %d: trial %d (%s): model file there = %v, want %v", k, r.ID, r.State, err == nil, kept)
			}
			if _, err := os.Stat(modelfiles.Holdout(root, c.Study.Name, r.ID)); err != nil {
				t.Errorf("keep %d: trial %d's holdout file: %v", k, r.ID, err)
			}
		}
		entries := keep.Scan(root, c.Study, report.Leaderboard(c.Study, c.Trials))
		var scanned []int
		for _, e := range entries {
			if e.Model != "" {
				scanned = append(scanned, e.Trial)
			}
		}
		if len(entries) != len(c.Trials) || !slices.Equal(scanned, want) {
			t.Errorf("keep %d: Scan found %d trials, models of %v; want %d, %v", k, len(entries), scanned, len(c.Trials), want)
		}
	}
}

// A study without a models directory prunes nothing, without error.
func TestPruneNoDirectory(t *testing.T) {
	st, _, c := fixture(t)
	deleted, err := keep.Prune(context.Background(), st, filepath.Join(t.TempDir(), "none"), c.Study.Name, 1)
	if err != nil || deleted != nil {
		t.Fatalf("Prune of a study without models: %v, %v", deleted, err)
	}
}

// Of reads keep_models back from the stored space file.
func TestOf(t *testing.T) {
	c := reporttest.Study(reporttest.Options{Trials: 1})
	if k, ok := keep.Of(c.Study); !ok || k != spacefile.DefaultKeepModels {
		t.Errorf("no keep_models: %d, %v", k, ok)
	}
	c.Study.SpaceText = append(c.Study.SpaceText, "keep_models: all\n"...)
	if k, ok := keep.Of(c.Study); !ok || k != spacefile.KeepAllModels {
		t.Errorf("keep_models: all: %d, %v", k, ok)
	}
}
