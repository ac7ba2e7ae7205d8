package spacefile_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"automl/search"
	"automl/search/searchtest"
	"automl/spacefile"
)

// FuzzParse feeds the parser mutations of every space file under
// testdata/spaces. Parse must never panic (its last-resort recover is
// turned off here, so a panic fails the input), every error must name the
// file and a place inside it, and a space it accepts must decode any unit
// vector to a point that Check accepts and that round-trips.
func FuzzParse(f *testing.F) {
	seeds := 0
	for _, dir := range []string{"bad", "good"} {
		files, err := filepath.Glob(filepath.Join("../testdata/spaces", dir, "*.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			seeds++
		}
	}
	if seeds < 40 {
		f.Fatalf("only %d seed files under testdata/spaces", seeds)
	}
	f.Cleanup(spacefile.SetPanicRecovery(false))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		f, err := spacefile.Parse(name, data)
		if err != nil {
			checkFuzzErrors(t, name, data, err)
			return
		}
		s := f.Space
		if s == nil || s.Dim() == 0 {
			t.Fatalf("Parse accepted the file but gave space %v", s)
		}
		rng := rand.New(rand.NewPCG(uint64(len(data)), 1))
		for range 4 {
			p := s.Decode(searchtest.RandomUnit(rng, s.Dim()))
			if err := s.Check(p); err != nil {
				t.Fatalf("Check(Decode(u)): %v", err)
			}
			q := s.Decode(s.Encode(p))
			if err := s.Check(q); err != nil {
				t.Fatalf("Check(Decode(Encode(p))): %v", err)
			}
			searchtest.SamePoint(t, s, p, q, "Decode(Encode(p))")
			if _, err := s.PointOf(s.Values(p)); err != nil {
				t.Fatalf("PointOf(Values(p)): %v", err)
			}
		}
	})
}

func checkFuzzErrors(t *testing.T, name string, data []byte, err error) {
	t.Helper()
	var list spacefile.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("want a non-empty ErrorList, got %T: %v", err, err)
	}
	lines := yamlLines(data)
	for _, e := range list {
		if e.File != name || !strings.HasPrefix(e.Error(), name+":") {
			t.Fatalf("error does not name the file: %q", e.Error())
		}
		if e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Column < 1 {
			t.Fatalf("error placed at %d:%d, outside the file's %d lines: %v", e.Pos.Line, e.Pos.Column, lines, e)
		}
		if strings.Contains(e.Msg, "internal error") {
			t.Fatalf("Parse recovered from a panic: %v", e)
		}
	}
}

// yamlLines counts lines as YAML does: \r\n, \r, \n and the Unicode
// breaks NEL, LS and PS each end a line.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

// TestParseRecoversFromPanic: a panic in a registered check (a bug, not a
// mistake in the file) comes back as an error. It runs in a child process so
// the panicking trainer never enters this process's registry.
func TestParseRecoversFromPanic(t *testing.T) {
	const env = "AUTOML_SPACEFILE_PANIC_CHILD"
	if os.Getenv(env) == "1" {
		spacefile.RegisterTrainer(spacefile.TrainerSpec{Name: "panics", Check: func(*spacefile.File) []error { panic("boom") }})
		_, err := spacefile.Parse("p.yaml", []byte("objective: {metric: m, direction: minimize}\ntrainer: {plugin: panics}\nparameters: {x: {type: int, low: 0, high: 3}}\n"))
		os.Stdout.WriteString("child: " + strings.ReplaceAll(errString(err), "\n", " ") + "\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestParseRecoversFromPanic$", "-test.count=1")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "child: p.yaml:1:1: internal error while checking the file (please report this bug): boom\n"
	if !strings.Contains(string(out), want) {
		t.Errorf("child output:\n%s\nwant a line %q", out, want)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// FuzzParamBounds explores the numbers of one int or float parameter (wide,
// tiny, denormal or huge bounds and steps), which byte mutations of whole
// files rarely reach: the parser must reject the parameter or accept one
// whose every decoded value passes Check and round-trips, with low at u = 0
// and high at u = 1.
func FuzzParamBounds(f *testing.F) {
	f.Add(false, 0.0, 1.0, 0.0, false)
	f.Add(false, 1e-5, 0.1, 0.0, true)
	f.Add(false, 0.1, 0.9, 0.2, false)
	f.Add(false, -1e300, 1e300, 0.0, false)
	f.Add(true, -3.0, 4.0, 0.0, false)
	f.Add(true, 16.0, 128.0, 16.0, false)
	f.Add(true, 1.0, 1e13, 0.0, true)
	f.Add(true, -1e13, 1e13, 1.0, false)
	f.Cleanup(spacefile.SetPanicRecovery(false))
	f.Fuzz(func(t *testing.T, isInt bool, low, high, step float64, log bool) {
		typ := "float"
		if isInt {
			typ = "int"
		}
		g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
		def := fmt.Sprintf("{type: %s, low: %s, high: %s, log: %t", typ, g(low), g(high), log)
		if step != 0 {
			def += ", step: " + g(step)
		}
		data := []byte("objective: {metric: m, direction: minimize}\ntrainer: {plugin: ./t}\nparameters:\n  x: " + def + "}\n")
		f, err := spacefile.Parse("fuzz.yaml", data)
		if err != nil {
			checkFuzzErrors(t, "fuzz.yaml", data, err)
			return
		}
		s := f.Space
		prm := &s.Params[0]
		if v := s.Decode([]float64{0})[0]; v != s.Decode(s.Encode(search.Point{v}))[0] || !prm.Contains(v) {
			t.Fatalf("%s: Decode(0) = %v does not round-trip", def, v)
		}
		lo, _ := s.Decode([]float64{0})[0].Float()
		hi, _ := s.Decode([]float64{1})[0].Float()
		if lo != prm.Low || hi != prm.High {
			t.Fatalf("%s: Decode(0), Decode(1) = %v, %v; want %v, %v", def, lo, hi, prm.Low, prm.High)
		}
		rng := rand.New(rand.NewPCG(math.Float64bits(low), math.Float64bits(high)))
		n := prm.Levels()
		for i := range 64 {
			u := rng.Float64()
			if n > 0 && i < 16 { // cell boundaries, where rounding bites
				u = float64(rng.IntN(n+1)) / float64(n)
			}
			p := s.Decode([]float64{u})
			if err := s.Check(p); err != nil {
				t.Fatalf("%s: Check(Decode(%v)): %v", def, u, err)
			}
			searchtest.SamePoint(t, s, p, s.Decode(s.Encode(p)), def+": Decode(Encode(Decode(u)))")
		}
	})
}
