package tpe

import (
	"cmp"
	"math"
	"slices"
)

// Sorting is most of the cost of fitting a univariate estimator (the
// bandwidths come from neighbour gaps). Each numeric parameter is sorted
// once per suggestion over all trials (sortedRows), and both estimators
// read their observations' ranks off that order (subsetRanks) in linear time.

// sortedRows returns the indices of the rows active in dim d, sorted by
// (coordinate, row index): a stable LSD radix sort on the coordinate's
// bits (coordinates are >= 0, so their bits order like their values),
// byte by byte, skipping the bytes all keys share.
func sortedRows(rs []trialRow, d int) []int32 {
	keys := make([]uint64, 0, len(rs))
	idx := make([]int32, 0, len(rs))
	for i := range rs {
		if v := rs[i].x[d]; !math.IsNaN(v) {
			keys = append(keys, math.Float64bits(v+0)) // +0: -0 sorts as 0
			idx = append(idx, int32(i))
		}
	}
	n := len(keys)
	k2 := make([]uint64, n)
	i2 := make([]int32, n)
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		count = [256]int{}
		for _, k := range keys {
			count[(k>>shift)&0xff]++
		}
		if n == 0 || count[(keys[0]>>shift)&0xff] == n {
			continue // every key has this byte
		}
		sum := 0
		for b := range count {
			count[b], sum = sum, sum+count[b]
		}
		for j, k := range keys {
			b := (k >> shift) & 0xff
			k2[count[b]], i2[count[b]] = k, idx[j]
			count[b]++
		}
		keys, k2 = k2, keys
		idx, i2 = i2, idx
	}
	return idx
}

// subsetRanks returns, for the rows idx (ascending) that are active in the
// dim of order, their ranks among themselves in that order, in idx order:
// the ranks of project(rs, idx, {d}). pos is scratch of len(rs), all -1,
// and is left so.
func subsetRanks(order []int32, idx []int, pos []int32, active func(int) bool) []int32 {
	m := int32(0)
	for _, r := range idx {
		if active(r) {
			pos[r] = m
			m++
		}
	}
	ranks := make([]int32, m)
	k := int32(0)
	for _, r := range order {
		if p := pos[r]; p >= 0 {
			ranks[p] = k
			k++
		}
	}
	for _, r := range idx {
		pos[r] = -1
	}
	return ranks
}

// kernelRanks returns the rank of every kernel (observations, then the
// prior at 0.5) by (value, index); ranks are the observations' own ranks,
// or nil to sort here.
func kernelRanks(mu []float64, ranks []int32) []int32 {
	n := len(mu) - 1
	rank := make([]int32, n+1)
	if ranks == nil {
		sorted := append([]float64(nil), mu...)
		slices.Sort(sorted)
		taken := make([]int32, n+1)
		for i, v := range mu {
			first := lowerBound(sorted, v)
			rank[i] = int32(first) + taken[first]
			taken[first]++
		}
		return rank
	}
	le := int32(0)
	for i, v := range mu[:n] {
		rank[i] = ranks[i]
		if v > 0.5 {
			rank[i]++
		} else {
			le++
		}
	}
	rank[n] = le
	return rank
}

// sweep finds, for a kernel, the points within its reach: the points
// sorted once, each kernel binary-searches its interval.
type sweep struct {
	x   []float64 // sorted
	idx []int     // the position of x[t] among the points
	pad float64   // added to every reach (an ordinal cell's width)
}

func newSweep(xs [][]float64, pad float64) sweep {
	s := sweep{x: make([]float64, len(xs)), idx: make([]int, len(xs)), pad: pad}
	for j := range s.idx {
		s.idx[j] = j
	}
	slices.SortFunc(s.idx, func(a, b int) int { return cmp.Compare(xs[a][0], xs[b][0]) })
	for t, j := range s.idx {
		s.x[t] = xs[j][0]
	}
	return s
}

// span returns the range [t0, t1) of sorted points x with
// |x - mu| < reach + pad, and perhaps a few more (a margin against
// rounding): the caller decides exactly.
func (s *sweep) span(mu, reach float64) (int, int) {
	r := reach*(1+1e-9) + s.pad + 1e-12
	t0 := lowerBound(s.x, mu-r)
	t1 := t0
	for t1 < len(s.x) && s.x[t1] <= mu+r {
		t1++
	}
	return t0, t1
}
