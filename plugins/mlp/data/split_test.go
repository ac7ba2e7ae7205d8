package data

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func loadDS(t *testing.T, file string) *Dataset {
	t.Helper()
	tb, err := Load(filepath.Join(datasets, file), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Prepare(tb, "target", Auto, false)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestSplitStratifiedAndSeeded(t *testing.T) {
	ds := loadDS(t, "breast_cancer.csv") // 357 B, 212 M
	s, err := Split(ds, SplitOptions{Validation: 0.2, Test: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := s.Folds[0]
	if len(s.Test) != 114 || len(f.Val) != 114 || len(f.Train) != 569-228 {
		t.Fatalf("sizes train %d val %d test %d", len(f.Train), len(f.Val), len(s.Test))
	}
	all := append(append(slices.Clone(f.Train), f.Val...), s.Test...)
	slices.Sort(all)
	for i, r := range all {
		if r != i {
			t.Fatalf("rows not a partition: position %d holds %d", i, r)
		}
	}
	total := ds.CountClasses(all)
	for name, rows := range map[string][]int{"train": f.Train, "val": f.Val, "test": s.Test} {
		c := ds.CountClasses(rows)
		for k := range c {
			want := float64(total[k]) * float64(len(rows)) / float64(ds.Rows)
			if math.Abs(float64(c[k])-want) > 1 {
				t.Errorf("%s: class %s has %d rows, want about %.1f", name, ds.Classes[k], c[k], want)
			}
		}
	}
	again, _ := Split(ds, SplitOptions{Validation: 0.2, Test: 0.2, Seed: 1})
	other, _ := Split(ds, SplitOptions{Validation: 0.2, Test: 0.2, Seed: 2})
	if !slices.Equal(again.Test, s.Test) || !slices.Equal(again.Folds[0].Val, f.Val) {
		t.Error("same seed, different split")
	}
	if slices.Equal(other.Test, s.Test) {
		t.Error("different seeds gave the same test rows")
	}
}

func TestKFold(t *testing.T) {
	ds := loadDS(t, "iris.csv")
	s, err := Split(ds, SplitOptions{Test: 0.2, Folds: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Folds) != 5 || len(s.Test) != 30 {
		t.Fatalf("%d folds, %d test rows", len(s.Folds), len(s.Test))
	}
	count := map[int]int{}
	for _, f := range s.Folds {
		if len(f.Val) != 24 || len(f.Train) != 96 {
			t.Errorf("fold sizes %d/%d, want 96/24", len(f.Train), len(f.Val))
		}
		for _, c := range ds.CountClasses(f.Val) {
			if c < 7 || c > 9 {
				t.Errorf("fold class counts %v not stratified", ds.CountClasses(f.Val))
			}
		}
		for _, r := range f.Val {
			count[r]++
			if slices.Contains(f.Train, r) || slices.Contains(s.Test, r) {
				t.Fatalf("row %d both validation and train/test", r)
			}
		}
	}
	if len(count) != 120 {
		t.Errorf("validation folds cover %d rows, want 120", len(count))
	}
}

func TestSplitErrors(t *testing.T) {
	ds := loadDS(t, "iris.csv")
	for _, o := range []SplitOptions{{Validation: 0.5, Test: 0.5}, {Test: 0.001}, {Validation: -0.1}, {Folds: 200, Test: 0.2}} {
		if _, err := Split(ds, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestSplitByColumn(t *testing.T) {
	csv := "a,part,target\n1,train,x\n2,test,y\n3,val,x\n4,train,y\n5,validation,x\n6,train,x\n"
	tb, err := Read("t.csv", strings.NewReader(csv), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Prepare(tb, "target", Auto, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := SplitByColumn(ds, "part")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Folds[0].Train, []int{0, 3, 5}) || !slices.Equal(s.Folds[0].Val, []int{2, 4}) || !slices.Equal(s.Test, []int{1}) {
		t.Errorf("split %+v", s)
	}
	if len(ds.Features) != 1 || ds.Cols[ds.Features[0]].Name != "a" {
		t.Errorf("split column still a feature: %v", ds.Features)
	}
	tb, _ = Read("t.csv", strings.NewReader("a,part,target\n1,train,x\n2,holdout,y\n"), LoadOptions{})
	ds, _ = Prepare(tb, "target", Auto, false)
	if _, err := SplitByColumn(ds, "part"); err == nil || !strings.Contains(err.Error(), "t.csv:3") {
		t.Errorf("unknown split value: %v", err)
	}
}
