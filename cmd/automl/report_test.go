package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"automl/backends/bolt"
	"automl/report/reporttest"
	"automl/scheduler"
)

// writeFixture stores a reporttest study in dir/automl.db through the real
// store. With keepOpen the writer stays open (serving readers on its
// socket, as a running automl search does) until the test ends.
func writeFixture(t testing.TB, dir string, o reporttest.Options, keepOpen bool) (*bolt.Store, scheduler.Change) {
	t.Helper()
	c := reporttest.Study(o)
	st, err := bolt.Open(filepath.Join(dir, "automl.db"), &bolt.Options{NoServe: !keepOpen})
	if err != nil {
		t.Fatal(err)
	}
	// Commit in slices, as a scheduler would, so a big fixture is not one
	// giant transaction.
	const step = 5000
	for from := 0; from < len(c.Trials) || from == 0; from += step {
		part := scheduler.Change{Trials: c.Trials[from:min(len(c.Trials), from+step)]}
		if from == 0 {
			part.Study, part.Snapshot = c.Study, c.Snapshot
		}
		for _, r := range c.Reports {
			if r.ID >= from && r.ID < from+step {
				part.Reports = append(part.Reports, r)
			}
		}
		if err := st.Commit(context.Background(), c.Study.Name, part); err != nil {
			t.Fatal(err)
		}
	}
	if !keepOpen {
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		return nil, c
	}
	t.Cleanup(func() { st.Close() })
	return st, c
}

func TestReportTablesSortTopColumns(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 50, Seed: 4, Reports: true}, false)

	out, errOut, code := automl(t, dir, "report", "fixture", "--format", "csv", "--sort", "-duration", "--top", "5", "--columns", "trial,duration,state")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 6 || strings.Join(recs[0], ",") != "trial,duration_s,state" {
		t.Fatalf("csv %v %v:\n%s", recs, err, out)
	}
	// Durations descend (compared as durations, via JSON seconds below).
	out, _, code = automl(t, dir, "report", "fixture", "--format", "json", "--sort", "-duration", "--top", "5", "--columns", "trial,duration")
	var doc struct {
		Trials []struct {
			Trial    int
			Duration float64 `json:"duration_s"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Trials) != 5 {
		t.Fatalf("json (exit %d):\n%s", code, out)
	}
	for i := 1; i < len(doc.Trials); i++ {
		if doc.Trials[i].Duration > doc.Trials[i-1].Duration {
			t.Errorf("not sorted by duration descending: %+v", doc.Trials)
		}
	}
	if recs[1][0] != strconv.Itoa(doc.Trials[0].Trial) {
		t.Errorf("csv and json disagree on the longest trial: %v vs %d", recs[1], doc.Trials[0].Trial)
	}

	out, _, code = automl(t, dir, "report", "fixture", "--top", "3", "--columns", "rank,trial,val_loss")
	if code != 0 || !strings.Contains(out, "| rank | trial | val_loss |") || strings.Count(out, "\n| ") != 5 ||
		!strings.Contains(out, "the best 3 of 50 trials") {
		t.Errorf("markdown (exit %d):\n%s", code, out)
	}
}

func TestReportHTMLAndPlotsFiles(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 60, Seed: 4, Reports: true}, false)
	_, errOut, code := automl(t, dir, "report", "fixture", "-o", "report.html") // html from the extension
	if code != 0 || !strings.Contains(errOut, "wrote report.html (60 trials)") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !bytes.HasPrefix(page, []byte("<!DOCTYPE html>")) || !bytes.Contains(page, []byte(`id="automl-data"`)) {
		t.Fatalf("report.html: %v %.100s", err, page)
	}
	for _, kind := range []string{"history", "importance", "parallel", "curves", "timeline"} {
		_, errOut, code := automl(t, dir, "report", "fixture", "--plot", kind, "--size", "640x360", "-o", kind+".png")
		if code != 0 {
			t.Fatalf("--plot %s: exit %d: %s", kind, code, errOut)
		}
		f, err := os.Open(filepath.Join(dir, kind+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() != 640 || img.Bounds().Dy() != 360 {
			t.Errorf("%s.png: %v %v", kind, err, img.Bounds())
		}
	}
	out, errOut, code := automl(t, dir, "report", "fixture", "--plot", "slice", "--param", "learning_rate", "--format", "svg", "-o", "-")
	if code != 0 || !strings.Contains(out, "<svg") {
		t.Errorf("slice svg to stdout: exit %d %s", code, errOut)
	}
}

func TestReportBadFlags(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 12, Seed: 4}, false)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sort", "bogus"}, `--sort: unknown column "bogus"`},
		{[]string{"--format", "html", "--sort", "bogus", "-o", "r.html"}, `--sort: unknown column "bogus"`},
		{[]string{"--columns", "trial,nope"}, `--columns: unknown column "nope"`},
		{[]string{"--format", "json", "--columns", "nope"}, `--columns: unknown column "nope"`},
		{[]string{"--plot", "pie", "-o", "x.png"}, `unknown plot "pie"`},
		{[]string{"--plot", "slice", "-o", "x.png"}, "needs a parameter (--param): one of learning_rate"},
		{[]string{"--plot", "history"}, "--plot needs -o FILE"},
		{[]string{"--plot", "history", "--format", "html", "-o", "x"}, "--plot draws png or svg"},
		{[]string{"--format", "png"}, "add --plot"},
		{[]string{"--plot", "history", "--top", "3", "-o", "x.png"}, "--top, --sort and --columns are for tables"},
		{[]string{"--param", "x"}, "--param goes with --plot slice"},
		{[]string{"--plot", "history", "--size", "12", "-o", "x.png"}, "--size \"12\""},
		{[]string{"--top", "-1"}, "--top must be >= 0"},
	} {
		_, errOut, code := automl(t, dir, append([]string{"report", "fixture"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("report %v: exit %d, %q; want exit %d and %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
	if _, errOut, code := automl(t, dir, "report", "nosuch", "--format", "html"); code != exitUsage || !strings.Contains(errOut, `no study "nosuch"`) {
		t.Errorf("missing study: exit %d %s", code, errOut)
	}
}

// TestReportWhileRunning: the writer holds the file (as automl search
// does); report reads through its socket, and the page shows the trials
// still running.
func TestReportWhileRunning(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 40, Seed: 6, Reports: true, Live: true}, true)
	out, errOut, code := automl(t, dir, "report", "fixture", "--format", "html")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"status":"running"`) || !strings.Contains(out, `"running":2`) {
		t.Errorf("page of a running study lacks its running trials:\n%.400s", out)
	}
}
