package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// SplitOptions say how rows are divided.
type SplitOptions struct {
	// Validation and Test are fractions of all rows (0 <= each, sum < 1).
	Validation, Test float64
	// Folds > 1 replaces the validation split by k-fold cross-validation
	// over the rows not held out for the test.
	Folds int
	// Seed fixes the shuffle; the same seed gives the same split.
	Seed uint64
}

// Fold is one training/validation division.
type Fold struct {
	Train, Val []int
}

// Splits are the held-out test rows and one fold (or k folds).
type Splits struct {
	Test  []int
	Folds []Fold
}

// Split divides the rows, stratified by class for classification (each
// split keeps the class proportions, up to rounding) and uniformly for
// regression. Row lists are sorted.
func Split(ds *Dataset, o SplitOptions) (Splits, error) {
	n := ds.Rows
	if o.Validation < 0 || o.Test < 0 || o.Validation+o.Test >= 1 {
		return Splits{}, errorf(ErrSplit, ds.Source, 0, "", "validation %v + test %v must be fractions summing to less than 1", o.Validation, o.Test)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x73706c6974)) // "split"
	groups := ds.groups()
	for _, g := range groups {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
	}
	var s Splits
	if o.Test > 0 {
		k := int(math.Round(o.Test * float64(n)))
		if k == 0 {
			return s, errorf(ErrSplit, ds.Source, 0, "", "test %v of %d rows is no row; raise it or set test: 0", o.Test, n)
		}
		s.Test, groups = take(groups, k)
	}
	if o.Folds > 1 {
		rest := 0
		for _, g := range groups {
			rest += len(g)
		}
		if rest < o.Folds {
			return s, errorf(ErrSplit, ds.Source, 0, "", "%d folds need at least %d rows besides the test split, there are %d", o.Folds, o.Folds, rest)
		}
		// Deal each class's rows round-robin, continuing the count across
		// classes, so fold sizes differ by at most one.
		assign := make([][]int, o.Folds)
		next := 0
		for _, g := range groups {
			for _, r := range g {
				assign[next%o.Folds] = append(assign[next%o.Folds], r)
				next++
			}
		}
		for f := range assign {
			var train []int
			for g := range assign {
				if g != f {
					train = append(train, assign[g]...)
				}
			}
			slices.Sort(train)
			slices.Sort(assign[f])
			s.Folds = append(s.Folds, Fold{Train: train, Val: assign[f]})
		}
		slices.Sort(s.Test)
		return s, nil
	}
	var fold Fold
	if o.Validation > 0 {
		k := int(math.Round(o.Validation * float64(n)))
		if k == 0 {
			return s, errorf(ErrSplit, ds.Source, 0, "", "validation %v of %d rows is no row; raise it or set validation: 0", o.Validation, n)
		}
		fold.Val, groups = take(groups, k)
	}
	for _, g := range groups {
		fold.Train = append(fold.Train, g...)
	}
	if len(fold.Train) == 0 {
		return s, errorf(ErrSplit, ds.Source, 0, "", "no rows left to train on")
	}
	slices.Sort(fold.Train)
	slices.Sort(fold.Val)
	slices.Sort(s.Test)
	s.Folds = []Fold{fold}
	return s, nil
}

// groups returns the row indices per class (one group for regression).
func (ds *Dataset) groups() [][]int {
	if !ds.Task.Classification() {
		g := make([]int, ds.Rows)
		for i := range g {
			g[i] = i
		}
		return [][]int{g}
	}
	gs := make([][]int, len(ds.Classes))
	for i, y := range ds.Y {
		gs[int(y)] = append(gs[int(y)], i)
	}
	return gs
}

// take removes k rows from the groups in proportion to their sizes
// (largest remainder, ties to the earlier group) and returns them with
// what is left.
func take(groups [][]int, k int) ([]int, [][]int) {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	counts := make([]int, len(groups))
	rem := make([]float64, len(groups))
	got := 0
	for i, g := range groups {
		exact := float64(k) * float64(len(g)) / float64(total)
		counts[i] = int(math.Floor(exact))
		rem[i] = exact - float64(counts[i])
		got += counts[i]
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for _, i := range order {
		if got >= k {
			break
		}
		if counts[i] < len(groups[i]) {
			counts[i]++
			got++
		}
	}
	var out []int
	left := make([][]int, len(groups))
	for i, g := range groups {
		out = append(out, g[:counts[i]]...)
		left[i] = g[counts[i]:]
	}
	return out, left
}

// SplitByColumn takes the split from a column whose values are train,
// validation (or val) and test, and removes that column from the
// features. Row lists are sorted.
func SplitByColumn(ds *Dataset, name string) (Splits, error) {
	col, ci := ds.Col(name)
	if col == nil {
		return Splits{}, errorf(ErrSplit, ds.Source, 0, "", "no column %q for the split; the columns are %s", name, strings.Join(ds.Names(), ", "))
	}
	if ci == ds.Target {
		return Splits{}, errorf(ErrSplit, ds.Source, 0, name, "the split column cannot be the target")
	}
	var s Splits
	var f Fold
	for i := 0; i < ds.Rows; i++ {
		v := ""
		switch {
		case col.Categorical && col.Codes[i] >= 0:
			v = col.Levels[col.Codes[i]]
		case !col.Categorical && !math.IsNaN(col.Num[i]):
			v = strconv.FormatFloat(col.Num[i], 'g', -1, 64)
		}
		switch strings.ToLower(v) {
		case "train":
			f.Train = append(f.Train, i)
		case "validation", "val":
			f.Val = append(f.Val, i)
		case "test":
			s.Test = append(s.Test, i)
		default:
			return Splits{}, &Error{Kind: ErrSplit, File: ds.Source, Line: ds.Line(i), Column: name, Msg: fmt.Sprintf("%q is not a split; want train, validation (or val) or test", v)}
		}
	}
	if len(f.Train) == 0 {
		return Splits{}, errorf(ErrSplit, ds.Source, 0, name, "no row is marked train")
	}
	ds.Features = slices.DeleteFunc(ds.Features, func(c int) bool { return c == ci })
	if len(ds.Features) == 0 {
		return Splits{}, errorf(ErrBadValue, ds.Source, 0, "", "no feature columns besides the target and the split column")
	}
	s.Folds = []Fold{f}
	return s, nil
}
