package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"automl/report/reporttest"
)

// drawn returns each canvas's data-drawn count (what the page's script
// drew on it) from a DOM dump.
func drawn(dom string) map[string]int {
	out := map[string]int{}
	for _, m := range regexp.MustCompile(`<canvas id="([^"]+)"[^>]*data-drawn="(\d+)"`).FindAllStringSubmatch(dom, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

// TestReportInBrowser renders the HTML report of a study run by the CLI in
// headless chromium: the leaderboard's rows and every plot are in the DOM
// once the page's script ran, and the screenshot is not blank. Then the
// same for a multi-fidelity fleet study (learning curves, rungs, GPUs).
func TestReportInBrowser(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	space := `study: branin
objective: {metric: value, direction: minimize}
budget: {trials: 40}
algorithm: {name: random, seed: 11}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("search: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := automl(t, dir, "report", "branin", "--format", "html", "-o", "report.html"); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	shot := filepath.Join(t.TempDir(), "report-branin.png")
	dom := dumpAndShoot(t, "file://"+filepath.Join(dir, "report.html"), shot, 1400, 2400)
	if n := countOf(dom, `<tr data-trial="`); n != 40 {
		t.Errorf("leaderboard shows %d rows, want the 40 trials", n)
	}
	if !strings.Contains(dom, `data-rendered="1"`) || !strings.Contains(dom, `<pre id="best-yaml">`) {
		t.Error("the page's script did not finish rendering")
	}
	got := drawn(dom)
	for _, id := range []string{"plot-history", "plot-importance", "plot-parallel", "plot-timeline", "plot-slice-0", "plot-slice-1"} {
		if got[id] == 0 {
			t.Errorf("%s drew nothing (%v)", id, got)
		}
	}
	if got["plot-history"] != 40 || got["plot-parallel"] != 40 || got["plot-importance"] != 2 {
		t.Errorf("plots drew %v; want 40 trials in history and parallel, 2 importance bars", got)
	}
	if !strings.Contains(dom, `data-note="no trial reported intermediate values"`) {
		t.Error("the curves plot of a study without reports should say why it is empty")
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, b, "report-branin.png")

	// A multi-fidelity fleet study: curves with rungs, pruned and failed
	// trials, a timeline lane per GPU; 300 trials, so the table pages.
	fdir := t.TempDir()
	writeFixture(t, fdir, reporttest.Options{Trials: 300, Seed: 1, Reports: true}, false)
	if _, errOut, code := automl(t, fdir, "report", "fixture", "--format", "html", "-o", "report.html"); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	shot = filepath.Join(t.TempDir(), "report.png")
	dom = dumpAndShoot(t, "file://"+filepath.Join(fdir, "report.html"), shot, 1400, 4200)
	if n := countOf(dom, `<tr data-trial="`); n != 50 {
		t.Errorf("leaderboard shows %d rows, want one page of 50", n)
	}
	if countOf(dom, `data-state="pruned"`) == 0 && countOf(dom, `class="st st-pruned"`) == 0 {
		t.Error("no pruned trial with its reason in the page")
	}
	got = drawn(dom)
	if got["plot-curves"] == 0 || got["plot-timeline"] == 0 || got["plot-slice-4"] == 0 {
		t.Errorf("plots drew %v", got)
	}
	b, err = os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, b, "report.png")
}
