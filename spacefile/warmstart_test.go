package spacefile_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"automl/spacefile"
)

const warmBase = `objective: {metric: value, direction: minimize}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

// warm_start: its sources, relative paths taken from the space file's
// directory, a study file's study after a colon, exports by extension;
// the list alone and a single source as shorthands.
func TestWarmStartSection(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "abs.db")
	for _, tc := range []struct {
		yaml   string
		want   string
		strict bool
	}{
		{"warm_start: {from: [old.db:branin, results.csv, other.JSON, plain.db, " + abs + ":x]}",
			"exp/old.db|branin|false exp/results.csv||true exp/other.JSON||true exp/plain.db||false " + abs + "|x|false", false},
		{"warm_start: [old.db]", "exp/old.db||false", false},
		{"warm_start: {from: r.csv, strict: true}", "exp/r.csv||true", true},
		{"warm_start:\n  from:\n    - ../runs/a.db:s-1\n", "runs/a.db|s-1|false", false},
	} {
		f, err := spacefile.Parse("exp/space.yaml", []byte(warmBase+tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		got := ""
		for i, s := range f.WarmStart.From {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("%s|%s|%t", filepath.ToSlash(s.Path), s.Study, s.Export)
		}
		if got != tc.want || f.WarmStart.Strict != tc.strict {
			t.Errorf("%s:\n got  %s strict %t\n want %s strict %t", tc.yaml, got, f.WarmStart.Strict, tc.want, tc.strict)
		}
	}
	f, err := spacefile.Parse("space.yaml", []byte(warmBase))
	if err != nil || len(f.WarmStart.From) != 0 {
		t.Fatalf("no warm_start: %v, %+v", err, f.WarmStart)
	}
}

// An error about a source (found when it is read) is placed at it.
func TestWarmStartErrorPlaced(t *testing.T) {
	f, err := spacefile.Parse("space.yaml", []byte(warmBase+"warm_start:\n  from: [a.csv,\n    b.db:x]\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := f.WarmStartError(1, "no study %q in %s", "x", "b.db")
	var se *spacefile.Error
	if !errors.As(e, &se) || e.Error() != `space.yaml:8:5: warm_start.from "b.db:x": no study "x" in b.db` {
		t.Fatalf("got %v", e)
	}
}

func TestParseSource(t *testing.T) {
	for _, tc := range []struct{ spec, path, study, err string }{
		{"runs/a.db:mlp", "runs/a.db", "mlp", ""},
		{"runs/a.db", "runs/a.db", "", ""},
		{"c:/x/results.csv", "c:/x/results.csv", "", ""},
		{"dir:x/a.db", "dir:x/a.db", "", ""},
		{"a.db:", "", "", `"a.db:": no study name after the colon; write FILE.db:STUDY, or FILE.db for the file's only study`},
		{":s", "", "", `":s": no file; write FILE.db[:STUDY], FILE.csv or FILE.json`},
	} {
		s, err := spacefile.ParseSource(tc.spec, "")
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSource(%q) error %v, want %s", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || s.Path != tc.path || s.Study != tc.study {
			t.Errorf("ParseSource(%q) = %q, %q, %v; want %q, %q", tc.spec, s.Path, s.Study, err, tc.path, tc.study)
		}
	}
}
