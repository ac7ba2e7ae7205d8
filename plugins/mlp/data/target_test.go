package data

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestTaskDetection(t *testing.T) {
	cases := []struct {
		file    string
		task    Task
		classes int
	}{
		{"iris.csv", Multiclass, 3},
		{"wine.csv", Multiclass, 3},      // classes 1, 2, 3
		{"sonar.csv", Binary, 2},         // R / M
		{"breast_cancer.csv", Binary, 2}, // M / B
		{"abalone.csv", Regression, 0},   // rings 1..29 (gaps)
		{"wine_quality.csv", Regression, 0},
	}
	for _, tc := range cases {
		tb, err := Load(filepath.Join(datasets, tc.file), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := Prepare(tb, "target", Auto, false)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if ds.Task != tc.task || len(ds.Classes) != tc.classes {
			t.Errorf("%s: task %v with %d classes, want %v with %d", tc.file, ds.Task, len(ds.Classes), tc.task, tc.classes)
		}
	}
}

func TestTaskRulesAndOverrides(t *testing.T) {
	cases := []struct {
		name   string
		target string // values, comma separated
		task   Task
		force  bool
		want   Task
		err    error
	}{
		{"two numbers", "-1,1,-1,1", Auto, false, Binary, nil},
		{"0..3", "0,1,2,3,1", Auto, false, Multiclass, nil},
		{"3..9", "3,4,5,6,7,8,9", Auto, false, Regression, nil},
		{"floats", "0.5,1.5,2.5", Auto, false, Regression, nil},
		{"forced classes", "3,4,5,6,7,8,9", Auto, true, Multiclass, nil},
		{"forced regression", "0,1,2,1", Regression, false, Regression, nil},
		{"one class", "a,a,a", Auto, false, 0, ErrOneClass},
		{"binary with three", "a,b,c", Binary, false, 0, ErrBadValue},
		{"regression on words", "a,b,c", Regression, false, 0, ErrNotNumber},
		{"constant number", "2,2,2", Regression, false, 0, ErrOneClass},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := strings.Split(tc.target, ",")
			var b strings.Builder
			b.WriteString("f,y\n")
			for i, v := range vals {
				b.WriteString(string(rune('0'+i%10)) + "," + v + "\n")
			}
			tb, err := Read("t.csv", strings.NewReader(b.String()), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ds, err := Prepare(tb, "y", tc.task, tc.force)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ds.Task != tc.want {
				t.Errorf("task %v, want %v", ds.Task, tc.want)
			}
		})
	}
}

func TestTargetErrors(t *testing.T) {
	tb, err := Read("t.csv", strings.NewReader("a,label\n1,x\n2,\n"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Prepare(tb, "target", Auto, false)
	if !errors.Is(err, ErrNoTarget) || !strings.Contains(err.Error(), "a, label") {
		t.Errorf("missing target column: %v", err)
	}
	_, err = Prepare(tb, "label", Auto, false)
	if err == nil || !strings.Contains(err.Error(), "t.csv:3") || !strings.Contains(err.Error(), "target is missing") {
		t.Errorf("missing target value: %v", err)
	}
}
