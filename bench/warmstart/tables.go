package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// reach is the number of the warm study's own trials after which its best
// is at least as good as the cold study's after budget trials (+Inf when
// it never gets there within its trials).
func (p pair) reach(budget int) float64 {
	if len(p.Cold) < budget {
		return math.NaN()
	}
	target := p.Cold[budget-1]
	for i, b := range p.Warm {
		if b <= target {
			return float64(i + 1)
		}
	}
	return math.Inf(1)
}

func (p pair) regret(trace []float64, n int) float64 {
	if n > len(trace) {
		return math.NaN()
	}
	return math.Max(0, trace[n-1]-p.Min)
}

// quantile of sorted xs (linear between order statistics; +Inf stays).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	if lo == hi || math.IsInf(sorted[hi], 1) {
		return sorted[hi]
	}
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

func fmtTrials(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "never"
	case math.IsNaN(x):
		return "-"
	}
	return fmt.Sprintf("%g", math.Round(x*10)/10)
}

func fmtRegret(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.3g", x)
}

// printTables prints, per algorithm and function, the median number of
// trials the warm study needs to reach the cold study's regret after
// budget trials (IQR in brackets), how many seeds reach it within half,
// and the median regrets; then the figure over all functions.
func printTables(w io.Writer, pairs []pair, budget int) {
	half := budget / 2
	var algos, funcs []string
	for _, p := range pairs {
		if !slices.Contains(algos, p.Algo) {
			algos = append(algos, p.Algo)
		}
		if !slices.Contains(funcs, p.Func) {
			funcs = append(funcs, p.Func)
		}
	}
	for _, a := range algos {
		seeds := 0
		fmt.Fprintf(w, "\n### %s: trials the warm study (%d imported from the shifted function) needs to reach the cold study's regret after %d\n\n", a, pairs[0].Source, budget)
		fmt.Fprintf(w, "| function | median trials [IQR] | seeds within %d | cold regret @%d | cold regret @%d | warm regret @%d | warm regret @%d |\n", half, half, budget, half, budget)
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
		var all []float64
		for _, fn := range funcs {
			var reach, c50, c100, w50, w100 []float64
			for _, p := range pairs {
				if p.Algo != a || p.Func != fn {
					continue
				}
				r := p.reach(budget)
				reach, all = append(reach, r), append(all, r)
				c50, c100 = append(c50, p.regret(p.Cold, half)), append(c100, p.regret(p.Cold, budget))
				w50, w100 = append(w50, p.regret(p.Warm, half)), append(w100, p.regret(p.Warm, budget))
			}
			if len(reach) == 0 {
				continue
			}
			seeds = len(reach)
			for _, xs := range [][]float64{reach, c50, c100, w50, w100} {
				slices.Sort(xs)
			}
			within := 0
			for _, r := range reach {
				if r <= float64(half) {
					within++
				}
			}
			fmt.Fprintf(w, "| %s | %s [%s, %s] | %d/%d | %s | %s | %s | %s |\n", fn,
				fmtTrials(quantile(reach, 0.5)), fmtTrials(quantile(reach, 0.25)), fmtTrials(quantile(reach, 0.75)),
				within, len(reach), fmtRegret(quantile(c50, 0.5)), fmtRegret(quantile(c100, 0.5)), fmtRegret(quantile(w50, 0.5)), fmtRegret(quantile(w100, 0.5)))
		}
		slices.Sort(all)
		within := 0
		for _, r := range all {
			if r <= float64(half) {
				within++
			}
		}
		verdict := "met"
		if m := quantile(all, 0.5); !(m <= float64(half)) {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "\n%s over %d functions x %d seeds: median %s trials [IQR %s, %s] to reach the cold study's %d-trial regret; %d of %d pairs within %d (%s: at most half)\n",
			a, len(funcs), seeds, fmtTrials(quantile(all, 0.5)), fmtTrials(quantile(all, 0.25)), fmtTrials(quantile(all, 0.75)),
			budget, within, len(all), half, verdict)
	}
	fmt.Fprintln(w, strings.Repeat("-", 3))
}
