package grid

import (
	"fmt"
	"math"
	"slices"

	"automl/search"
)

// maxStates bounds the memo of the counting walk, so that pathological
// conditions fail with a clear error instead of eating memory.
const maxStates = 1 << 20

// tree counts and indexes the distinct active assignments of a (possibly
// conditional) space without listing them. Parameters are placed parents
// first; at each place a parameter is either inactive (one branch, Absent)
// or takes one of its levels. What the parameters placed so far mean for
// the rest is only which of the pending conditions (those of later
// parameters on earlier parents) hold, so the number of completions below
// a place is memoised by that signature. And a parameter's levels that no
// condition names all lead to the same completions, so they are counted
// once and multiplied. The grid of a conditional space is thus counted and
// indexed in time proportional to its distinct branches, never to the
// Cartesian product of all levels.
type tree struct {
	order  []int      // parameter indices, parents before children
	values []levelSet // by parameter index: the levels it takes
	conds  [][]cond   // by parameter index: its when: conditions
	// named[i]: the levels of parameter i that some condition names, ascending.
	named [][]int
	// pending[k]: the conditions of parameters placed at k or later whose
	// parent is placed before k.
	pending [][]*cond
	memo    []map[string]uint64 // by place k: completions by pending-condition signature
	states  int
	size    uint64
}

// cond is one when: entry with its parent's levels resolved: the parent's
// levels that satisfy it.
type cond struct {
	parent int
	ok     map[int]bool
}

// newTree builds and counts the grid of a space whose levels are known.
func newTree(space *search.Space, values []levelSet) (*tree, error) {
	n := len(space.Params)
	t := &tree{order: parentsFirst(space), values: values, conds: make([][]cond, n), named: make([][]int, n)}
	place := make([]int, n)
	for k, i := range t.order {
		place[i] = k
	}
	for i := range space.Params {
		for _, c := range space.Params[i].When {
			j := space.Index(c.Parent)
			ok := map[int]bool{}
			for _, w := range c.Values {
				if l := values[j].index(w); l >= 0 {
					ok[l] = true
					if !slices.Contains(t.named[j], l) {
						t.named[j] = append(t.named[j], l)
					}
				}
			}
			t.conds[i] = append(t.conds[i], cond{parent: j, ok: ok})
		}
	}
	for j := range t.named {
		slices.Sort(t.named[j])
	}
	t.pending = make([][]*cond, n+1)
	for k := 0; k <= n; k++ {
		for _, i := range t.order[k:] {
			for c := range t.conds[i] {
				if place[t.conds[i][c].parent] < k {
					t.pending[k] = append(t.pending[k], &t.conds[i][c])
				}
			}
		}
	}
	t.memo = make([]map[string]uint64, n)
	for k := range t.memo {
		t.memo[k] = map[string]uint64{}
	}
	size, err := t.count(0, absentLevels(n))
	if err != nil {
		return nil, err
	}
	t.size = size
	return t, nil
}

func absentLevels(n int) []int {
	lv := make([]int, n)
	for i := range lv {
		lv[i] = -1
	}
	return lv
}

// parentsFirst orders parameters so that every parent comes before its
// children, keeping file order where the conditions allow (the space was
// validated acyclic).
func parentsFirst(space *search.Space) []int {
	done := make([]bool, len(space.Params))
	order := make([]int, 0, len(space.Params))
	var visit func(i int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true
		for _, c := range space.Params[i].When {
			if j := space.Index(c.Parent); j >= 0 {
				visit(j)
			}
		}
		order = append(order, i)
	}
	for i := range space.Params {
		visit(i)
	}
	return order
}

func (c *cond) holds(lv []int) bool {
	l := lv[c.parent]
	return l >= 0 && c.ok[l]
}

// active reports whether parameter i's conditions hold under the levels lv
// of the parameters placed so far (-1: absent).
func (t *tree) active(i int, lv []int) bool {
	for c := range t.conds[i] {
		if !t.conds[i][c].holds(lv) {
			return false
		}
	}
	return true
}

// signature is which pending conditions at place k hold, as a bit string.
func (t *tree) signature(k int, lv []int) []byte {
	b := make([]byte, (len(t.pending[k])+7)/8)
	for n, c := range t.pending[k] {
		if c.holds(lv) {
			b[n/8] |= 1 << (n % 8)
		}
	}
	return b
}

// other returns the first level of parameter i that no condition names,
// or -1 when every level is named.
func (t *tree) other(i int) int {
	l := 0
	for _, m := range t.named[i] {
		if m != l {
			break
		}
		l++
	}
	if l >= t.values[i].len() {
		return -1
	}
	return l
}

// count returns the number of distinct completions of the assignment lv
// from place k on (saturating at MaxUint64). lv is restored on return.
func (t *tree) count(k int, lv []int) (uint64, error) {
	if k == len(t.order) {
		return 1, nil
	}
	sig := t.signature(k, lv)
	if c, ok := t.memo[k][string(sig)]; ok {
		return c, nil
	}
	i := t.order[k]
	var total uint64
	if !t.active(i, lv) {
		c, err := t.count(k+1, lv)
		if err != nil {
			return 0, err
		}
		total = c
	} else {
		for _, l := range t.named[i] {
			lv[i] = l
			c, err := t.count(k+1, lv)
			if err != nil {
				return 0, err
			}
			total = satAdd(total, c)
		}
		if rep := t.other(i); rep >= 0 {
			lv[i] = rep
			c, err := t.count(k+1, lv)
			if err != nil {
				return 0, err
			}
			others := uint64(t.values[i].len() - len(t.named[i]))
			total = satAdd(total, satMul(others, c))
		}
		lv[i] = -1
	}
	if t.states++; t.states > maxStates {
		return 0, fmt.Errorf("the conditions of this space branch into more than %d distinct states; the grid is too large to enumerate", maxStates)
	}
	t.memo[k][string(sig)] = total
	return total, nil
}

// completions reads a count the construction walk memoised; it never
// writes, so a built tree is safe for concurrent use.
func (t *tree) completions(k int, lv []int) uint64 {
	if k == len(t.order) {
		return 1
	}
	return t.memo[k][string(t.signature(k, lv))]
}

// point returns the grid point of rank idx (< size) in the canonical order:
// parents first, each parameter's levels in order, the last placed
// parameter varying fastest.
func (t *tree) point(idx uint64) search.Point {
	p := make(search.Point, len(t.order))
	lv := absentLevels(len(t.order))
	for k, i := range t.order {
		if !t.active(i, lv) {
			continue
		}
		lv[i] = t.level(k, i, lv, &idx)
		p[i] = t.values[i].at(lv[i])
	}
	return p
}

// level picks the level of parameter i (placed at k) that holds rank *idx,
// leaving in *idx the rank among that level's completions. Levels run in
// order: runs of unnamed levels (each with the same completions, c) and
// the named levels between them.
func (t *tree) level(k, i int, lv []int, idx *uint64) int {
	var c uint64
	if rep := t.other(i); rep >= 0 {
		lv[i] = rep
		c = t.completions(k+1, lv)
	}
	run := func(from, to int) (int, bool) { // unnamed levels from..to-1
		if to <= from {
			return 0, false
		}
		if span := uint64(to-from) * c; *idx >= span {
			*idx -= span
			return 0, false
		}
		l := from + int(*idx/c)
		*idx %= c
		return l, true
	}
	from := 0
	for _, m := range t.named[i] {
		if l, ok := run(from, m); ok {
			return l
		}
		lv[i] = m
		if cm := t.completions(k+1, lv); *idx >= cm {
			*idx -= cm
		} else {
			return m
		}
		from = m + 1
	}
	l, _ := run(from, t.values[i].len())
	return l
}

func satMul(a, b uint64) uint64 {
	if a != 0 && b > math.MaxUint64/a {
		return math.MaxUint64
	}
	return a * b
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}
