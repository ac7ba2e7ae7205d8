package data

import (
	"fmt"
	"math"
)

// PrepState is a fitted Preprocessor in exported, serialisable form: what a
// saved model keeps to encode new rows exactly as the training rows were
// encoded. FromState turns it back into a Preprocessor whose Transform is
// the training code path itself, so prediction cannot drift from training.
//
// Extending it: a new per-column transform (a log or quantile transform of
// a number, a frequency encoding of a category, ...) is recorded as a
// Transform{Name, Params} in the column's Transforms, in the order it is
// applied; State writes it from the fitted colPrep and FromState reads it
// back (see stateTransforms and applyTransforms below). FromState refuses a
// transform name it does not know, so a model saved by a newer trainer
// fails to load with a clear error instead of predicting differently. New
// fields of ColState are fine too (the model file is gob: a reader ignores
// fields it does not know, and gets zero values for fields it lacks).
type PrepState struct {
	// Width is the number of output features; Names labels them.
	Width int
	Names []string
	Cols  []ColState
}

// ColState is one input column's fitted encoding.
type ColState struct {
	// Name is the column's header name; Index its position in the
	// training table (the Dataset.Cols index Transform reads).
	Name        string
	Index       int
	Categorical bool
	// Levels are the table's sorted levels of a categorical column: the
	// codes index them. A level absent from them is encoded as one absent
	// from the training rows (all-zero one-hot).
	Levels []string
	// Fill is the numeric imputation value, or the categorical fill code.
	Fill float64
	// Indicator is the output offset of the missing indicator, -1 for none.
	Indicator int
	// Mean and Std standardise a number (0 and 1 when off).
	Mean, Std float64
	// OneHot maps a level code to its output offset (-1: all zeros).
	OneHot []int
	// Out is the column's first output offset.
	Out int
	// Transforms are further fitted transforms, in order (none yet).
	Transforms []Transform
}

// Transform is a named per-column transform with its fitted parameters.
type Transform struct {
	Name   string
	Params []float64
}

// State exports the fitted preprocessing; ds is the data set it was
// fitted on (for the column names and levels).
func (p *Preprocessor) State(ds *Dataset) PrepState {
	s := PrepState{Width: p.Width, Names: append([]string(nil), p.Names...)}
	for _, cp := range p.cols {
		c := ds.Cols[cp.col]
		cs := ColState{Name: c.Name, Index: cp.col, Categorical: cp.cat, Fill: cp.fill, Indicator: cp.indicator,
			Mean: cp.mean, Std: cp.std, Out: cp.out, Transforms: stateTransforms(cp)}
		if cp.cat {
			cs.Levels = append([]string(nil), c.Levels...)
			cs.OneHot = append([]int(nil), cp.oneHot...)
		}
		s.Cols = append(s.Cols, cs)
	}
	return s
}

// stateTransforms lists a column's fitted transforms beyond imputation,
// one-hot encoding and standardisation (none yet).
func stateTransforms(cp colPrep) []Transform { return nil }

// applyTransforms sets a column's fitted transforms from a state (none
// known yet: any name is refused).
func applyTransforms(cp *colPrep, ts []Transform) error {
	if len(ts) > 0 {
		return fmt.Errorf("unknown transform %q (saved by a newer trainer?)", ts[0].Name)
	}
	return nil
}

// FromState rebuilds a Preprocessor from its exported state, checking
// every offset and size so that Transform cannot index out of range. The
// rows it transforms must come from a Dataset whose Cols[Index] is the
// column (Levels coded as in the state; a code len(Levels) means a level
// the table never saw).
func FromState(s PrepState) (*Preprocessor, error) {
	if s.Width < 1 || len(s.Names) != s.Width {
		return nil, fmt.Errorf("preprocessing: width %d with %d feature names", s.Width, len(s.Names))
	}
	if len(s.Cols) == 0 {
		return nil, fmt.Errorf("preprocessing: no input columns")
	}
	inRange := func(o int) bool { return o >= 0 && o < s.Width }
	p := &Preprocessor{Width: s.Width, Names: append([]string(nil), s.Names...)}
	seen := map[int]bool{}
	for _, cs := range s.Cols {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("preprocessing of column %q: %s", cs.Name, fmt.Sprintf(format, args...))
		}
		if cs.Index < 0 || cs.Index > 1<<20 || seen[cs.Index] {
			return nil, bad("bad or repeated table index %d", cs.Index)
		}
		seen[cs.Index] = true
		if cs.Indicator != -1 && !inRange(cs.Indicator) {
			return nil, bad("missing indicator at %d of %d features", cs.Indicator, s.Width)
		}
		cp := colPrep{col: cs.Index, cat: cs.Categorical, fill: cs.Fill, indicator: cs.Indicator, mean: cs.Mean, std: cs.Std, out: cs.Out}
		if cs.Categorical {
			if len(cs.Levels) == 0 || len(cs.OneHot) != len(cs.Levels) {
				return nil, bad("%d levels with %d one-hot offsets", len(cs.Levels), len(cs.OneHot))
			}
			if cs.Fill != math.Trunc(cs.Fill) || cs.Fill < 0 || int(cs.Fill) >= len(cs.Levels) {
				return nil, bad("fill level %v of %d", cs.Fill, len(cs.Levels))
			}
			for _, o := range cs.OneHot {
				if o != -1 && !inRange(o) {
					return nil, bad("one-hot offset %d of %d features", o, s.Width)
				}
			}
			// One more code, for a level the table never saw: all zeros.
			cp.oneHot = append(append(make([]int, 0, len(cs.OneHot)+1), cs.OneHot...), -1)
		} else {
			if !inRange(cs.Out) {
				return nil, bad("output offset %d of %d features", cs.Out, s.Width)
			}
			for _, v := range []float64{cs.Fill, cs.Mean, cs.Std} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, bad("non-finite parameter %v", v)
				}
			}
			if cs.Std <= 0 {
				return nil, bad("scale %v is not positive", cs.Std)
			}
		}
		if err := applyTransforms(&cp, cs.Transforms); err != nil {
			return nil, bad("%v", err)
		}
		p.cols = append(p.cols, cp)
	}
	return p, nil
}
