package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zdtStudy runs a 30-trial ZDT1 study of two objectives with a constraint
// (f1 at most 0.8, so some trials are infeasible) in dir.
func zdtStudy(t *testing.T, dir string) {
	t.Helper()
	space := "study: zdt\nobjectives:\n  - {metric: f1, direction: minimize}\n  - {metric: f2, direction: minimize}\n" +
		"constraints:\n  - {metric: f1, max: 0.8}\nbudget: {trials: 30}\nalgorithm: {name: random, seed: 7}\n" + zdt1Params
	write(t, dir, "space.yaml", space)
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("search: exit %d\n%s%s", code, out, errOut)
	}
}

// TestReportParetoPlots: automl report --plot pareto and --plot
// hypervolume write PNG and SVG files of a study of two objectives, with
// --param picking the axes and --ref-point the reference point; a wrong
// reference point, --ref-point with a table format and the plots of a
// study of one objective are usage errors that say why.
func TestReportParetoPlots(t *testing.T) {
	dir := t.TempDir()
	zdtStudy(t, dir)
	for _, args := range [][]string{
		{"--plot", "pareto", "-o", "front.png"},
		{"--plot", "pareto", "--param", "f2,f1", "-o", "front.svg"},
		{"--plot", "hypervolume", "-o", "hv.png"},
		{"--plot", "hypervolume", "--ref-point", "1.1,10", "-o", "hv.svg"},
	} {
		_, errOut, code := automl(t, dir, append([]string{"report", "zdt"}, args...)...)
		out := args[len(args)-1]
		if code != 0 || !strings.Contains(errOut, "wrote "+out+" ("+args[1]+" plot)") {
			t.Fatalf("report %v: exit %d\n%s", args, code, errOut)
		}
		b, err := os.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(out, ".png") {
			if img, err := png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() != 1200 {
				t.Errorf("%s: %v", out, err)
			}
		} else if !bytes.Contains(b[:min(len(b), 400)], []byte("<svg")) || len(b) < 2000 {
			t.Errorf("%s: not an SVG with something in it (%d bytes)", out, len(b))
		}
	}
	write(t, dir, "one.yaml", "study: one\nobjective: {metric: f1, direction: minimize}\nbudget: {trials: 3}\nalgorithm: {name: random, seed: 1}\n"+zdt1Params)
	if out, errOut, code := automl(t, dir, "search", "-space", "one.yaml", "-q"); code != 0 {
		t.Fatalf("search one: exit %d\n%s%s", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"zdt", "--plot", "pareto", "--ref-point", "1", "-o", "x.png"}, `--ref-point "1": 1 values, want one per objective (f1, f2)`},
		{[]string{"zdt", "--plot", "pareto", "--ref-point", "1,x", "-o", "x.png"}, `value 2 (f2) is "x", not a finite number`},
		{[]string{"zdt", "--plot", "pareto", "--param", "f1,f3", "-o", "x.png"}, `--param "f1,f3": want two different objectives x,y among f1, f2`},
		{[]string{"zdt", "--format", "csv", "--ref-point", "1,1"}, "--ref-point goes with --format html, --plot pareto or --plot hypervolume"},
		{[]string{"one", "--plot", "pareto", "-o", "x.png"}, `study "one" has one (f1)`},
		{[]string{"one", "--format", "html", "--ref-point", "1,1"}, `study "one" has one objective`},
	} {
		_, errOut, code := automl(t, dir, append([]string{"report"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("report %v: exit %d, want 2 and %q\n%s", c.args, code, c.want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.png")); err == nil {
		t.Error("a refused plot left a file")
	}
}
