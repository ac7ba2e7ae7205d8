// Package ensemble builds ensembles of trained models by greedy ensemble
// selection with replacement (Caruana, Niculescu-Mizil, Crew and Ksikes,
// "Ensemble selection from libraries of models", ICML 2004), as
// auto-sklearn does: from the candidates' predictions on the validation
// rows, each round adds the candidate (again, if it is already a member)
// whose addition gives the averaged prediction the best score. The result
// is an integer weight per candidate: how many times it was picked.
//
// Choices, where the paper and auto-sklearn leave room:
//   - Initialisation: the best single candidate (the first round). With
//     Options.Init = n > 1 the n best candidates start as members, one
//     weight each (the paper's sorted initialisation); the default is 1.
//   - Rounds: all Size rounds are run and their scores kept in
//     Result.Trajectory; the ensemble returned is the prefix with the best
//     validation score, the earliest on a tie (the paper's step 4), so its
//     validation score is never worse than the best single candidate's.
//   - Ties: between candidates of equal score in a round, the first in
//     candidate order wins; sums run in a fixed order in float64, so the
//     result is deterministic.
package ensemble

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Candidate is one trained model's predictions on the validation rows.
type Candidate struct {
	// Name identifies the candidate in errors and output (e.g. "trial 7").
	Name string
	// Digest identifies the validation row set the predictions are of;
	// every candidate must have the same one. Empty skips the check only
	// when every candidate's is empty.
	Digest string
	// Width is the number of columns: the classes for classification (1
	// for a binary task giving the probability of class 1), 1 for
	// regression.
	Width int
	// Pred holds rows x Width predictions, row-major: class probabilities
	// or values in target units.
	Pred []float32
}

// Options sets the selection.
type Options struct {
	// Size is the number of rounds (members with repetition), at least 1.
	Size int
	// Init is the number of best single candidates the ensemble starts
	// with, one weight each (0 or 1: the best one only).
	Init int
	// Bags > 1 runs bagged ensemble selection (Caruana, Munson and
	// Niculescu-Mizil, "Getting the most out of ensemble selection", ICDM
	// 2006): Bags selections, each of Size rounds among a random half of
	// the candidates (its own Init best first), their weights summed. It
	// curbs members picked for a few validation rows' sake. 0 or 1: one
	// selection among all candidates.
	Bags int
	// Seed seeds the bags' draws: the same seed, candidates and options
	// give the same ensemble.
	Seed uint64
}

// Result is a selected ensemble.
type Result struct {
	Metric   string // the metric's name
	Maximize bool
	// Weights holds, per candidate, how many times it was picked in the
	// returned ensemble; they sum to Rounds.
	Weights []int
	// Rounds is the size of the returned ensemble (the best prefix; with
	// bags, the sum of the bags' best prefixes).
	Rounds int
	// Picks is the candidate added in each round, all Size of them (nil
	// with bags).
	Picks []int
	// Trajectory is the validation score after each round, all Size of
	// them (nil with bags); Score is the returned ensemble's validation
	// score, Trajectory[Rounds-1] without bags.
	Trajectory []float64
	Score      float64
	// Best is the best single candidate and BestScore its score.
	Best      int
	BestScore float64
}

// Members is the number of candidates with a positive weight.
func (r Result) Members() int {
	n := 0
	for _, w := range r.Weights {
		if w > 0 {
			n++
		}
	}
	return n
}

// Select runs greedy ensemble selection on the candidates' validation
// predictions against labels y (class index or value, one per row).
// Candidates with non-finite predictions, another row digest, row count
// or width, or labels out of range, are refused with an error naming them.
func Select(cands []Candidate, y []float64, m Metric, opt Options) (Result, error) {
	if opt.Size < 1 {
		return Result{}, fmt.Errorf("ensemble size %d: must be at least 1", opt.Size)
	}
	if opt.Init > opt.Size {
		return Result{}, fmt.Errorf("ensemble init %d exceeds its size %d", opt.Init, opt.Size)
	}
	if opt.Init < 0 || opt.Bags < 0 {
		return Result{}, fmt.Errorf("ensemble init %d, bags %d: must not be negative", opt.Init, opt.Bags)
	}
	preds, width, err := check(cands, y, m)
	if err != nil {
		return Result{}, err
	}
	single := make([]float64, len(cands))
	for i, p := range preds {
		single[i] = m.Score(p, width, y)
	}
	res := Result{Metric: m.Name, Maximize: m.Maximize, Weights: make([]int, len(cands)), Best: -1}
	order := rank(single, m)
	if math.IsNaN(single[order[0]]) {
		return Result{}, fmt.Errorf("ensemble: %s is undefined on the validation rows for every candidate", m.Name)
	}
	res.Best, res.BestScore = order[0], single[order[0]]
	g := greedy{preds: preds, width: width, y: y, m: m, opt: opt}
	if opt.Bags <= 1 {
		g.run(order, res.Weights, &res)
		res.Score = res.Trajectory[res.Rounds-1]
		return res, nil
	}
	// bagged: each bag selects among a random half of the candidates (in
	// rank order, so that its initialisation is its own best ones) and
	// the bags' picks are summed
	r := rand.New(rand.NewPCG(opt.Seed, uint64(len(cands))))
	half := (len(cands) + 1) / 2
	for range opt.Bags {
		in := make([]bool, len(cands))
		for _, c := range r.Perm(len(cands))[:half] {
			in[c] = true
		}
		var sub []int
		for _, c := range order {
			if in[c] {
				sub = append(sub, c)
			}
		}
		var bag Result
		g.run(sub, res.Weights, &bag)
		res.Rounds += bag.Rounds
	}
	p := make([][]float32, len(cands))
	for c, cd := range cands {
		p[c] = cd.Pred
	}
	avg, err := Average(p, res.Weights)
	if err != nil {
		return Result{}, err
	}
	res.Score = m.Score(avg, width, y)
	return res, nil
}

// greedy is one greedy selection's inputs.
type greedy struct {
	preds [][]float64
	width int
	y     []float64
	m     Metric
	opt   Options
}

// run selects among the candidates in order (best single first; ties go
// to the earlier one there), adds the best prefix's picks to weights and
// records in res the picks, trajectory and rounds.
func (g greedy) run(order []int, weights []int, res *Result) {
	m := g.m
	init := min(max(g.opt.Init, 1), len(order))
	sum := make([]float64, len(g.y)*g.width)
	avg := make([]float64, len(sum))
	n := 0
	add := func(c int) {
		for j, v := range g.preds[c] {
			sum[j] += v
		}
		n++
		for j := range avg {
			avg[j] = sum[j] / float64(n)
		}
		res.Picks = append(res.Picks, c)
		res.Trajectory = append(res.Trajectory, m.Score(avg, g.width, g.y))
	}
	for _, c := range order[:init] {
		add(c)
	}
	// ties go to the first in candidate order
	cands := slices.Clone(order)
	slices.Sort(cands)
	for n < g.opt.Size {
		best, bestScore := -1, math.NaN()
		for _, c := range cands {
			for j, v := range g.preds[c] {
				avg[j] = (sum[j] + v) / float64(n+1)
			}
			if s := m.Score(avg, g.width, g.y); best < 0 || m.Better(s, bestScore) {
				best, bestScore = c, s
			}
		}
		add(best)
	}
	// the best prefix that holds the whole initial set, the earliest on a tie
	res.Rounds = init
	for r := res.Rounds; r < len(res.Trajectory); r++ {
		if m.Better(res.Trajectory[r], res.Trajectory[res.Rounds-1]) {
			res.Rounds = r + 1
		}
	}
	for _, c := range res.Picks[:res.Rounds] {
		weights[c]++
	}
}

// rank orders candidates best first by their single score, NaN last,
// ties in candidate order.
func rank(single []float64, m Metric) []int {
	order := make([]int, len(single))
	for i := range order {
		order[i] = i
	}
	// insertion sort: stable, and the candidate lists are short
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && m.Better(single[order[j]], single[order[j-1]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	return order
}

// check validates the candidates against each other, the labels and the
// metric, and returns their predictions as float64.
func check(cands []Candidate, y []float64, m Metric) ([][]float64, int, error) {
	if len(cands) == 0 {
		return nil, 0, errors.New("ensemble: no candidates")
	}
	if len(y) == 0 {
		return nil, 0, errors.New("ensemble: no validation rows")
	}
	first := cands[0]
	width := first.Width
	if width < 1 {
		return nil, 0, fmt.Errorf("ensemble: candidate %q: width %d", first.Name, width)
	}
	if !m.Classification && width != 1 {
		return nil, 0, fmt.Errorf("ensemble: metric %s needs one prediction column, candidate %q has %d (class probabilities?)", m.Name, first.Name, width)
	}
	if m.Binary && width > 2 {
		return nil, 0, fmt.Errorf("ensemble: metric %s is for two classes, candidate %q has %d", m.Name, first.Name, width)
	}
	classes := max(width, 2)
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, 0, fmt.Errorf("ensemble: validation label of row %d is %v", i, v)
		}
		if m.Classification && (v != math.Trunc(v) || v < 0 || int(v) >= classes) {
			return nil, 0, fmt.Errorf("ensemble: validation label of row %d is %v, not a class index below %d", i, v, classes)
		}
	}
	out := make([][]float64, len(cands))
	for c, cd := range cands {
		switch {
		case cd.Digest != first.Digest:
			return nil, 0, fmt.Errorf("ensemble: candidate %q has validation rows %q, %q has %q: the candidates were not validated on the same rows", cd.Name, cd.Digest, first.Name, first.Digest)
		case cd.Width != width:
			return nil, 0, fmt.Errorf("ensemble: candidate %q has %d prediction columns, %q has %d", cd.Name, cd.Width, first.Name, width)
		case len(cd.Pred) != len(y)*width:
			return nil, 0, fmt.Errorf("ensemble: candidate %q has %d predictions, want %d rows x %d columns for %d labels", cd.Name, len(cd.Pred), len(y), width, len(y))
		}
		p := make([]float64, len(cd.Pred))
		for j, v := range cd.Pred {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, 0, fmt.Errorf("ensemble: candidate %q: prediction %v at row %d, column %d: not finite", cd.Name, v, j/width, j%width)
			}
			p[j] = float64(v)
		}
		out[c] = p
	}
	return out, width, nil
}

// Average returns the weighted average of predictions (each rows x width,
// row-major) with integer weights, summed in candidate order in float64:
// the ensemble's prediction. Candidates of weight 0 are skipped.
func Average(preds [][]float32, weights []int) ([]float64, error) {
	if len(preds) != len(weights) {
		return nil, fmt.Errorf("ensemble: %d predictions, %d weights", len(preds), len(weights))
	}
	var out []float64
	total := 0
	for c, p := range preds {
		w := weights[c]
		if w < 0 {
			return nil, fmt.Errorf("ensemble: weight %d of member %d is negative", w, c)
		}
		if w == 0 {
			continue
		}
		if out == nil {
			out = make([]float64, len(p))
		} else if len(p) != len(out) {
			return nil, fmt.Errorf("ensemble: member %d has %d predictions, the first %d", c, len(p), len(out))
		}
		for j, v := range p {
			out[j] += float64(w) * float64(v)
		}
		total += w
	}
	if total == 0 {
		return nil, errors.New("ensemble: every weight is 0")
	}
	for j := range out {
		out[j] /= float64(total)
	}
	return out, nil
}
