package data

import (
	"slices"
	"strings"
	"testing"
)

// TestStateRoundTrip: a preprocessor rebuilt from its state encodes every
// row as the fitted one does, including a level absent from the training
// rows and missing cells.
func TestStateRoundTrip(t *testing.T) {
	csv := "x,c,target,y\n1,a,0,5\n?,b,1,\n3,a,0,7\n100,z,1,1\n,?,0,2\n"
	tb, err := Read("t.csv", strings.NewReader(csv), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Prepare(tb, "target", Auto, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []PrepOptions{{Standardize: true, Indicator: true}, {Impute: "mean"}} {
		p, err := Fit(ds, []int{0, 1, 2}, o)
		if err != nil {
			t.Fatal(err)
		}
		st := p.State(ds)
		if st.Cols[1].Name != "c" || st.Cols[1].Index != 1 || !slices.Equal(st.Cols[1].Levels, []string{"a", "b", "z"}) || st.Cols[2].Name != "y" || st.Cols[2].Index != 3 {
			t.Fatalf("state columns %+v", st.Cols)
		}
		q, err := FromState(st)
		if err != nil {
			t.Fatal(err)
		}
		rows := []int{0, 1, 2, 3, 4}
		if want, got := p.Transform(ds, rows), q.Transform(ds, rows); !slices.Equal(got, want) {
			t.Errorf("%+v: rebuilt encodes %v, fitted %v", o, got, want)
		}
		if !slices.Equal(q.Names, p.Names) || q.Width != p.Width {
			t.Errorf("rebuilt names %v, fitted %v", q.Names, p.Names)
		}
	}
}

func TestFromStateRefusesInconsistentStates(t *testing.T) {
	good := PrepState{Width: 3, Names: []string{"c=a", "c=b", "x"}, Cols: []ColState{
		{Name: "c", Index: 0, Categorical: true, Levels: []string{"a", "b"}, Fill: 0, Indicator: -1, OneHot: []int{0, 1}},
		{Name: "x", Index: 1, Indicator: -1, Std: 1, Out: 2},
	}}
	if _, err := FromState(good); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(s *PrepState){
		"width":          func(s *PrepState) { s.Width = 4 },
		"no columns":     func(s *PrepState) { s.Cols = nil },
		"offset":         func(s *PrepState) { s.Cols[1].Out = 3 },
		"indicator":      func(s *PrepState) { s.Cols[1].Indicator = -2 },
		"one-hot":        func(s *PrepState) { s.Cols[0].OneHot = []int{0} },
		"fill level":     func(s *PrepState) { s.Cols[0].Fill = 1.5 },
		"no levels":      func(s *PrepState) { s.Cols[0].Levels, s.Cols[0].OneHot = nil, nil },
		"scale":          func(s *PrepState) { s.Cols[1].Std = 0 },
		"repeated index": func(s *PrepState) { s.Cols[1].Index = 0 },
		"transform":      func(s *PrepState) { s.Cols[1].Transforms = []Transform{{Name: "log"}} },
	} {
		s := good
		s.Cols = slices.Clone(good.Cols)
		s.Cols[0].OneHot = slices.Clone(good.Cols[0].OneHot)
		edit(&s)
		if _, err := FromState(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
