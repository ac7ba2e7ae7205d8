package data

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Task is what the target asks for.
type Task uint8

const (
	// Auto detects the task from the target column.
	Auto Task = iota
	Binary
	Multiclass
	Regression
)

// TaskNames lists the accepted task names, for messages.
var TaskNames = []string{"auto", "binary", "multiclass", "regression"}

func (t Task) String() string { return TaskNames[t] }

// ParseTask reads a task name ("classification" lets the class count decide).
func ParseTask(s string) (Task, bool, error) {
	switch s {
	case "auto", "":
		return Auto, false, nil
	case "binary":
		return Binary, false, nil
	case "multiclass":
		return Multiclass, false, nil
	case "classification":
		return Auto, true, nil
	case "regression":
		return Regression, false, nil
	}
	return 0, false, fmt.Errorf("unknown task %q; one of %s, classification", s, strings.Join(TaskNames, ", "))
}

// Classification reports whether the task predicts classes.
func (t Task) Classification() bool { return t == Binary || t == Multiclass }

// Dataset is a table with its target chosen and decoded.
type Dataset struct {
	*Table
	Target   int   // index of the target column
	Features []int // indices of the feature columns
	Task     Task
	// Y is the class index (classification) or the value (regression) per row.
	Y []float32
	// Classes names the classes in index order (classification only).
	Classes []string
}

// MaxClassLevels is the largest integer target range read as classes by
// auto-detection: {0..k-1} or {1..k} with 2 <= k <= 10.
const MaxClassLevels = 10

// Prepare picks the target column and decides the task. With task Auto a
// categorical target is classification, and a numeric one is
// classification when it takes exactly two values or is a run of integers
// 0..k-1 or 1..k with k <= MaxClassLevels, regression otherwise.
// forceClass (task: classification) makes any target classification.
func Prepare(t *Table, target string, task Task, forceClass bool) (*Dataset, error) {
	col, ti := t.Col(target)
	if col == nil {
		return nil, errorf(ErrNoTarget, t.Source, 0, "", "no column %q for the target; the columns are %s", target, strings.Join(t.Names(), ", "))
	}
	ds := &Dataset{Table: t, Target: ti}
	for i := range t.Cols {
		if i != ti {
			ds.Features = append(ds.Features, i)
		}
	}
	for i := 0; i < t.Rows; i++ {
		if (col.Categorical && col.Codes[i] < 0) || (!col.Categorical && math.IsNaN(col.Num[i])) {
			return nil, &Error{Kind: ErrBadValue, File: t.Source, Line: t.Line(i), Column: target, Msg: "the target is missing; remove the row or fill in its value"}
		}
	}
	if len(ds.Features) == 0 {
		return nil, errorf(ErrBadValue, t.Source, 0, "", "no feature columns besides the target %q", target)
	}
	if col.Categorical {
		if task == Regression {
			i := 0
			return nil, &Error{Kind: ErrNotNumber, File: t.Source, Line: t.Line(i), Column: target, Msg: fmt.Sprintf("task regression needs a numeric target, got %q", col.Levels[col.Codes[i]])}
		}
		ds.Classes = col.Levels
		ds.Y = make([]float32, t.Rows)
		for i, c := range col.Codes {
			ds.Y[i] = float32(c)
		}
		return ds, ds.setClassTask(task)
	}
	distinct := distinctValues(col.Num)
	if task == Auto && !forceClass {
		task = Regression
		if looksLikeClasses(distinct) {
			task = Multiclass
		}
	}
	if task == Regression {
		ds.Task = Regression
		ds.Y = make([]float32, t.Rows)
		for i, v := range col.Num {
			ds.Y[i] = float32(v)
		}
		if len(distinct) < 2 {
			return nil, errorf(ErrOneClass, t.Source, 0, target, "the target is constant (%v); there is nothing to learn", col.Num[0])
		}
		return ds, nil
	}
	if len(distinct) > MaxLevels {
		return nil, errorf(ErrBadValue, t.Source, 0, target, "%d distinct target values are too many classes (at most %d); use task: regression", len(distinct), MaxLevels)
	}
	index := make(map[float64]int, len(distinct))
	for i, v := range distinct {
		index[v] = i
		ds.Classes = append(ds.Classes, strconv.FormatFloat(v, 'g', -1, 64))
	}
	ds.Y = make([]float32, t.Rows)
	for i, v := range col.Num {
		ds.Y[i] = float32(index[v])
	}
	return ds, ds.setClassTask(task)
}

func (ds *Dataset) setClassTask(task Task) error {
	k := len(ds.Classes)
	name := ds.Cols[ds.Target].Name
	switch {
	case k < 2:
		return errorf(ErrOneClass, ds.Source, 0, name, "the target has a single class %q; classification needs at least two", ds.Classes[0])
	case task == Binary && k != 2:
		return errorf(ErrBadValue, ds.Source, 0, name, "task binary needs two classes, the target has %d (%s)", k, preview(ds.Classes))
	case task == Multiclass && k == 2:
		ds.Task = Binary // two classes train as binary; say multiclass only for k > 2
	case k == 2:
		ds.Task = Binary
	default:
		ds.Task = Multiclass
	}
	return nil
}

func preview(s []string) string {
	if len(s) > 6 {
		return strings.Join(s[:6], ", ") + ", ..."
	}
	return strings.Join(s, ", ")
}

func distinctValues(xs []float64) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
			if len(out) > MaxLevels {
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// looksLikeClasses: two values, or the integers 0..k-1 or 1..k, k <= 10.
func looksLikeClasses(d []float64) bool {
	if len(d) == 2 {
		return true
	}
	if len(d) < 2 || len(d) > MaxClassLevels {
		return false
	}
	start := d[0]
	if start != 0 && start != 1 {
		return false
	}
	for i, v := range d {
		if v != start+float64(i) {
			return false
		}
	}
	return true
}

// CountClasses returns the rows per class over the given rows.
func (ds *Dataset) CountClasses(rows []int) []int {
	n := make([]int, len(ds.Classes))
	for _, r := range rows {
		n[int(ds.Y[r])]++
	}
	return n
}
