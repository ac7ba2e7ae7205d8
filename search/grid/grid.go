// Package grid is grid search: every distinct combination of the
// parameters' values, each handed out once, in a seeded shuffled order.
//
// The values of a parameter are its categorical choices, its explicit
// `grid: [...]`, `points: N` evenly spaced values (in log space when
// `log: true`), or every allowed value of an int (low..high by step; every
// integer of a log int) or of a float with a step. A continuous float with
// none of these is an error of the space file. In a conditional space the
// grid is the set of distinct active assignments: an inactive parameter
// does not multiply it.
//
// The sampler keeps no state: the i-th trial of the study (i = the history's
// length, pending trials included) gets point perm(i) of the grid, where perm
// is a permutation fixed by the algorithm seed. So parallel slots never get
// the same point, a resumed study continues the same order, and the study
// ends with search.ErrExhausted once every point was handed out.
package grid

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"automl/search"
)

// MaxPoints bounds the grid: a larger one is almost certainly a mistake
// (an int range or points: N larger than meant).
const MaxPoints = 10_000_000

// Sampler hands out the points of a space's grid. It is immutable after New
// and safe for concurrent use.
type Sampler struct {
	dim  int
	tree *tree
	perm permutation
}

// New builds the grid of a validated space, shuffled by the seed.
func New(space *search.Space, seed uint64) (*Sampler, error) {
	t, errs := build(space)
	if len(errs) > 0 {
		return nil, fmt.Errorf("grid: %w", errors.Join(errs...))
	}
	return &Sampler{dim: space.Dim(), tree: t, perm: newPermutation(t.size, seed)}, nil
}

// Size is the number of points in the grid.
func (s *Sampler) Size() int { return int(s.tree.size) }

// Sample returns grid point number h.Proposed() of the shuffled order
// (imported results use up no grid point), or search.ErrExhausted when
// every point has been handed out.
func (s *Sampler) Sample(space *search.Space, h *search.History, _ *rand.Rand) (search.Point, error) {
	if space.Dim() != s.dim {
		return nil, fmt.Errorf("grid: built for %d parameters, asked for a space of %d", s.dim, space.Dim())
	}
	i := h.Proposed()
	if uint64(i) >= s.tree.size {
		return nil, fmt.Errorf("grid of %d points, all handed out: %w", s.tree.size, search.ErrExhausted)
	}
	return s.tree.point(s.perm.at(uint64(i))), nil
}

// build lists every parameter's levels and counts the grid; the errors are
// placed at the parameters (or name the whole grid when it is too large).
func build(space *search.Space) (*tree, []error) {
	values := make([]levelSet, len(space.Params))
	var errs []error
	for i := range space.Params {
		v, err := levels(space, &space.Params[i])
		if err != nil {
			errs = append(errs, err)
		}
		values[i] = v
	}
	if len(errs) > 0 {
		return nil, errs
	}
	t, err := newTree(space, values)
	if err != nil {
		return nil, []error{err}
	}
	if t.size > MaxPoints {
		return nil, []error{fmt.Errorf("the grid has %s points, more than the limit of %d; give fewer points: or choices, or a coarser step", countString(t.size), MaxPoints)}
	}
	return t, nil
}

func countString(n uint64) string {
	if n == ^uint64(0) {
		return "more than 1.8e19"
	}
	return fmt.Sprint(n)
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name:     "grid",
		Prefetch: true, MultiObjective: true,
		Doc: "every combination of the parameters' values, once each, in a seeded shuffled order; ends when exhausted",
		Validate: func(s *search.Space, _ search.Settings) []error {
			_, errs := build(s)
			return errs
		},
		New: func(s *search.Space, set search.Settings) (search.Searcher, error) {
			g, err := New(s, set.Seed)
			if err != nil {
				return nil, err
			}
			return search.NewSamplerSearcher(g), nil
		},
	})
}
