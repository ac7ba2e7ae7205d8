package spacefile_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "automl/plugins/funcs"
	_ "automl/search/algorithms"
	"automl/spacefile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/spaces/bad")

// badDir is relative to the repository root, so the messages in the golden
// files read as `automl validate -space testdata/spaces/bad/x.yaml` would
// print them there.
const badDir = "testdata/spaces/bad"

// missingFile names the golden whose space file deliberately does not exist.
const missingFile = "missing_file"

// TestBadSpaces parses every file under testdata/spaces/bad and compares the
// errors with the golden file beside it (NAME.yaml -> NAME.golden). Run with
// -update to rewrite the goldens, then review every diff by eye.
func TestBadSpaces(t *testing.T) {
	t.Chdir("..")
	entries, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{} // case name -> path given to ParseFile
	goldens := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
			sources[name] = filepath.Join(badDir, name)
		case strings.HasSuffix(name, ".yaml"):
			sources[strings.TrimSuffix(name, ".yaml")] = filepath.Join(badDir, name)
		case strings.HasSuffix(name, ".golden"):
			goldens[strings.TrimSuffix(name, ".golden")] = true
		default:
			t.Errorf("%s/%s: unexpected file; bad/ holds NAME.yaml, NAME.golden and directories", badDir, name)
		}
	}
	if _, ok := sources[missingFile]; ok {
		t.Fatalf("%s/%s.yaml must not exist: its case checks a missing file", badDir, missingFile)
	}
	sources[missingFile] = filepath.Join(badDir, missingFile+".yaml")
	for name := range goldens {
		if _, ok := sources[name]; !ok {
			t.Errorf("%s/%s.golden has no space file beside it", badDir, name)
		}
	}
	if len(sources) < 40 {
		t.Errorf("only %d bad space files; the set covers at least 40 mistakes", len(sources))
	}

	for name, path := range sources {
		t.Run(name, func(t *testing.T) {
			goldenPath := filepath.Join(badDir, name+".golden")
			s, err := spacefile.ParseFile(path)
			if err == nil {
				t.Fatalf("ParseFile(%s) accepted a bad file (study %q)", path, s.Study)
			}
			checkErrorList(t, path, err, name != missingFile && name != "a_directory")
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !goldens[name] {
				t.Fatalf("%s is missing; run go test ./spacefile -run TestBadSpaces -update and review it", goldenPath)
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("ParseFile(%s) errors differ from %s\n got:\n%s\nwant:\n%s", path, goldenPath, got, want)
			}
		})
	}
}

// checkErrorList asserts the shape every parse error has: an ErrorList of
// *Error in file order, each naming the file and (when placed) a position.
func checkErrorList(t *testing.T, path string, err error, placed bool) {
	t.Helper()
	var list spacefile.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("want a non-empty spacefile.ErrorList, got %T: %v", err, err)
	}
	for i, e := range list {
		if e.File != path {
			t.Errorf("error %d names file %q, want %q", i, e.File, path)
		}
		if placed && (e.Pos.Line < 1 || e.Pos.Column < 1) {
			t.Errorf("error %d has no line:column: %v", i, e)
		}
		if e.Msg == "" {
			t.Errorf("error %d has an empty message", i)
		}
		if i > 0 {
			a, b := list[i-1].Pos, e.Pos
			if a.Line > b.Line || (a.Line == b.Line && a.Column > b.Column) {
				t.Errorf("errors out of file order: %v before %v", list[i-1], e)
			}
		}
	}
	var one *spacefile.Error
	if !errors.As(err, &one) {
		t.Errorf("errors.As cannot find a *spacefile.Error in %v", err)
	}
}
