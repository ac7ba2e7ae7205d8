package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const datasets = "../../../testdata/datasets"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadColumnsAndMissing(t *testing.T) {
	csv := "age,colour,score,label\n" +
		"31,red,1.5,yes\n" +
		"?,blue,NA,no\n" +
		"40,,2.5,yes\n" +
		"\"22\", red ,.5,no\n"
	tb, err := Read("t.csv", strings.NewReader(csv), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows != 4 || len(tb.Cols) != 4 {
		t.Fatalf("rows %d cols %d, want 4 and 4", tb.Rows, len(tb.Cols))
	}
	age, _ := tb.Col("age")
	if age.Categorical || !math.IsNaN(age.Num[1]) || age.Num[3] != 22 || age.Missing != 1 {
		t.Errorf("age = %+v", age)
	}
	col, _ := tb.Col("colour")
	if !col.Categorical || strings.Join(col.Levels, ",") != "blue,red" || col.Codes[2] != -1 || col.Codes[3] != 1 {
		t.Errorf("colour = %+v", col)
	}
	score, _ := tb.Col("score")
	if score.Num[3] != 0.5 {
		t.Errorf("score .5 read as %v", score.Num[3])
	}
	if tb.Line(0) != 2 || tb.Line(3) != 5 {
		t.Errorf("lines %v, want 2..5", tb.Lines)
	}
}

func TestLoadGzipMatchesPlain(t *testing.T) {
	plain := filepath.Join(datasets, "iris.csv")
	raw, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	gz := writeFile(t, "iris.csv.gz", buf.String())
	a, err := Load(plain, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(gz, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Rows != 150 || b.Rows != 150 || a.Cols[0].Num[149] != b.Cols[0].Num[149] {
		t.Errorf("plain %d rows, gzip %d rows", a.Rows, b.Rows)
	}
	if a.Digest != "76f6b1097e7d29225501d74ffb34311f31f2da55042f972ea64b80949a14d11a" {
		t.Errorf("digest %s is not the file's SHA-256", a.Digest)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name    string
		content string // "" with missing: no file at all
		missing bool
		opts    LoadOptions
		kind    error
		want    []string // substrings of the message
	}{
		{name: "missing file", missing: true, kind: ErrNoFile, want: []string{"nope.csv", "no such file"}},
		{name: "empty file", content: "", kind: ErrEmpty, want: []string{"no header"}},
		{name: "no rows", content: "a,b,target\n", kind: ErrEmpty, want: []string{"no data rows"}},
		{name: "ragged row", content: "a,b,target\n1,2,x\n3,4,y\n5,6\n", kind: ErrRagged, want: []string{":4:", "2 fields", "header has 3"}},
		{name: "non-numeric", content: "a,b,target\n1,2,x\n3,4,y\n5,abc,x\n6,7,y\n", kind: ErrNotNumber, want: []string{":4:", `column 2 ("b")`, `"abc" is not a number`}},
		{name: "infinite", content: "a,target\n1,x\ninf,y\n", kind: ErrBadValue, want: []string{":3:", "infinite"}},
		{name: "duplicate header", content: "a,a,target\n1,2,x\n", kind: ErrBadValue, want: []string{`"a" twice`}},
		{name: "unknown categorical", content: "a,target\n1,x\n", opts: LoadOptions{Categorical: []string{"zz"}}, kind: ErrBadValue, want: []string{`"zz"`, "no such column"}},
		{name: "bad quote", content: "a,target\n1,\"x\n", kind: ErrBadValue, want: []string{"t.csv:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "nope.csv")
			if !tc.missing {
				path = writeFile(t, "t.csv", tc.content)
			}
			_, err := Load(path, tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A column whose values are mostly words is categorical even when a few
// look like numbers; forcing works the other way round.
func TestColumnTyping(t *testing.T) {
	csv := "grade,zip,target\nA,01234,x\nB,02000,y\n7,01234,x\nC,09999,y\n"
	tb, err := Read("t.csv", strings.NewReader(csv), LoadOptions{Categorical: []string{"zip"}, Drop: nil})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := tb.Col("grade")
	z, _ := tb.Col("zip")
	if !g.Categorical || len(g.Levels) != 4 {
		t.Errorf("grade: %+v", g)
	}
	if !z.Categorical || z.Levels[0] != "01234" {
		t.Errorf("zip: %+v", z)
	}
	tb, err = Read("t.csv", strings.NewReader(csv), LoadOptions{Drop: []string{"grade"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, i := tb.Col("grade"); i >= 0 || len(tb.Cols) != 2 {
		t.Errorf("drop kept the column: %v", tb.Names())
	}
}

func TestTooManyLevels(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,target\n")
	for i := 0; i <= MaxLevels; i++ {
		b.WriteString("id")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("y", i/26))
		b.WriteString(",1\n")
	}
	_, err := Read("t.csv", strings.NewReader(b.String()), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "drop: [id]") {
		t.Errorf("error %v, want a hint to drop the id column", err)
	}
}
