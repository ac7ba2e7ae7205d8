package report

import (
	"math"
	"math/rand/v2"
)

// A random forest of regression trees, fitted on binned features: each
// feature's domain is cut into equal bins once, and a node's best split is
// found from per-bin sums in one pass over its samples. That keeps fitting
// a forest to a few thousand trials within milliseconds, and the split
// points land on bin edges, which is all fANOVA needs.

// forestConfig sets the forest's size and its trees' shape.
type forestConfig struct {
	Trees    int
	MaxDepth int
	MinLeaf  int // fewest samples in a leaf
	Bins     int // equal bins over [0, 1] per feature
	Seed     uint64
}

var defaultForest = forestConfig{Trees: 32, MaxDepth: 12, MinLeaf: 2, Bins: 64, Seed: 1}

// dataset holds features in [lo_j, 1]: the unit cube, extended below 0 for
// a conditional parameter's "inactive" value (see features).
type dataset struct {
	x  [][]float64 // x[i][j]
	y  []float64
	lo []float64 // each feature's domain is [lo[j], 1]
}

// leaf is a region of the domain (a box) and the tree's value there.
type leaf struct {
	lo, hi []float64
	value  float64
}

// tree is a fitted regression tree, kept as its leaves: fANOVA needs only
// the partition of the domain and the value in each part.
type tree struct{ leaves []leaf }

// fitForest fits cfg.Trees trees, each on a bootstrap sample.
func fitForest(ds *dataset, cfg forestConfig) []tree {
	n, d := len(ds.y), len(ds.lo)
	bins := binFeatures(ds, cfg.Bins)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	trees := make([]tree, cfg.Trees)
	idx := make([]int, n)
	for t := range trees {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		f := fitter{ds: ds, bins: bins, cfg: cfg, nb: cfg.Bins + 1}
		f.hist = make([]binStat, f.nb)
		lo, hi := make([]float64, d), make([]float64, d)
		copy(lo, ds.lo)
		for j := range hi {
			hi[j] = 1
		}
		f.grow(idx, lo, hi, 0)
		trees[t] = tree{leaves: f.leaves}
	}
	return trees
}

// binFeatures maps each value to a bin: 0 is the inactive region below 0,
// 1..nb the equal bins over [0, 1].
func binFeatures(ds *dataset, nb int) [][]uint8 {
	out := make([][]uint8, len(ds.lo))
	for j := range out {
		out[j] = make([]uint8, len(ds.y))
		for i := range ds.y {
			x := ds.x[i][j]
			if x < 0 {
				continue
			}
			out[j][i] = uint8(1 + min(nb-1, int(x*float64(nb))))
		}
	}
	return out
}

// binEdge is the domain value between bin b and bin b+1.
func binEdge(b, nb int) float64 { return float64(b) / float64(nb) }

type binStat struct {
	n   int
	sum float64
}

type fitter struct {
	ds     *dataset
	bins   [][]uint8
	cfg    forestConfig
	nb     int // bins per feature, the inactive one included
	hist   []binStat
	leaves []leaf
}

// grow splits the node holding samples idx (a box [lo, hi]) or makes it a leaf.
func (f *fitter) grow(idx []int, lo, hi []float64, depth int) {
	var sum float64
	for _, i := range idx {
		sum += f.ds.y[i]
	}
	n := len(idx)
	mean := sum / float64(n)
	if depth >= f.cfg.MaxDepth || n < 2*f.cfg.MinLeaf {
		f.addLeaf(lo, hi, mean)
		return
	}
	bestGain, bestJ, bestB := 1e-12*math.Max(1, math.Abs(sum*mean)), -1, 0
	for j := range f.bins {
		clear(f.hist)
		col := f.bins[j]
		for _, i := range idx {
			h := &f.hist[col[i]]
			h.n++
			h.sum += f.ds.y[i]
		}
		var nl int
		var sl float64
		for b := 0; b < f.nb-1; b++ {
			nl += f.hist[b].n
			sl += f.hist[b].sum
			nr := n - nl
			if nl < f.cfg.MinLeaf || f.hist[b].n == 0 {
				continue
			}
			if nr < f.cfg.MinLeaf {
				break
			}
			sr := sum - sl
			gain := sl*sl/float64(nl) + sr*sr/float64(nr) - sum*mean
			if gain > bestGain {
				bestGain, bestJ, bestB = gain, j, b
			}
		}
	}
	if bestJ < 0 {
		f.addLeaf(lo, hi, mean)
		return
	}
	// Partition idx in place: bins <= bestB to the left.
	col := f.bins[bestJ]
	k := 0
	for i := range idx {
		if int(col[idx[i]]) <= bestB {
			idx[i], idx[k] = idx[k], idx[i]
			k++
		}
	}
	edge := binEdge(bestB, f.nb-1) // 0 for bin 0: the inactive region's end
	leftHi := append([]float64(nil), hi...)
	leftHi[bestJ] = edge
	rightLo := append([]float64(nil), lo...)
	rightLo[bestJ] = edge
	f.grow(idx[:k], lo, leftHi, depth+1)
	f.grow(idx[k:], rightLo, hi, depth+1)
}

func (f *fitter) addLeaf(lo, hi []float64, v float64) {
	f.leaves = append(f.leaves, leaf{lo: lo, hi: hi, value: v})
}
