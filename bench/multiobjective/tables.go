package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// quantile is the q-quantile of sorted xs, linearly interpolated (numpy's default).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	frac := pos - float64(i)
	if frac == 0 || math.IsInf(xs[i], 1) {
		return xs[i]
	}
	if math.IsInf(xs[i+1], 1) { // a study without a feasible trial
		return math.Inf(1)
	}
	return xs[i] + frac*(xs[i+1]-xs[i])
}

// cell is the median and interquartile range of a sampler's regrets at a budget.
type cell struct {
	n             int
	med, q25, q75 float64
}

func summarize(xs []float64) cell {
	s := slices.Clone(xs)
	slices.Sort(s)
	return cell{n: len(s), med: quantile(s, 0.5), q25: quantile(s, 0.25), q75: quantile(s, 0.75)}
}

// printTables writes, per problem, the median hypervolume regret [IQR] of
// each sampler at each budget, then whether the goal is met: our best
// sampler's median at most half of Optuna's best at the middle budget and
// no worse at the others.
func printTables(w io.Writer, ps []*problem, studies []study, budgets []int) {
	for _, p := range ps {
		byS := map[string]map[int][]float64{}
		shares := map[string]map[int][]float64{}
		var names []string
		for _, s := range studies {
			if s.Func != p.Name {
				continue
			}
			if byS[s.Sampler] == nil {
				byS[s.Sampler], shares[s.Sampler] = map[int][]float64{}, map[int][]float64{}
				names = append(names, s.Sampler)
			}
			for _, b := range budgets {
				if r, ok := s.Regret[strconv.Itoa(b)]; ok {
					byS[s.Sampler][b] = append(byS[s.Sampler][b], r)
				}
				if r, ok := s.Share[strconv.Itoa(b)]; ok {
					shares[s.Sampler][b] = append(shares[s.Sampler][b], r)
				}
			}
		}
		if len(names) == 0 {
			continue
		}
		slices.SortFunc(names, func(a, b string) int {
			if oa, ob := strings.HasPrefix(a, "optuna-"), strings.HasPrefix(b, "optuna-"); oa != ob {
				if oa {
					return 1
				}
				return -1
			}
			return strings.Compare(a, b)
		})
		mid, last := budgets[len(budgets)/2], budgets[len(budgets)-1]
		fmt.Fprintf(w, "\n### %s: %s\n\n%s, median [IQR] over seeds\n\n", p.Name, p.Doc, figureOf(p))
		fmt.Fprintf(w, "| sampler | seeds |")
		for _, b := range budgets {
			fmt.Fprintf(w, " %d trials |", b)
		}
		cols := len(budgets)
		if p.NC > 0 {
			fmt.Fprintf(w, " feasible share, %d trials | feasible share, %d trials |", mid, last)
			cols += 2
		}
		fmt.Fprintf(w, "\n|---|---|%s\n", strings.Repeat("---|", cols))
		best := map[bool]map[int]float64{false: {}, true: {}} // optuna? -> budget -> best median
		bestName := map[bool]map[int]string{false: {}, true: {}}
		for _, n := range names {
			isOptuna := strings.HasPrefix(n, "optuna-")
			fmt.Fprintf(w, "| %s | %d |", n, len(byS[n][budgets[0]]))
			for _, b := range budgets {
				c := summarize(byS[n][b])
				if p.NC > 0 { // regrets near 0 keep their digits
					fmt.Fprintf(w, " %.3g [%.3g, %.3g] |", c.med, c.q25, c.q75)
				} else {
					fmt.Fprintf(w, " %.4f [%.4f, %.4f] |", c.med, c.q25, c.q75)
				}
				if old, ok := best[isOptuna][b]; !ok || c.med < old {
					best[isOptuna][b], bestName[isOptuna][b] = c.med, n
				}
			}
			if p.NC > 0 {
				for _, b := range []int{mid, last} {
					c := summarize(shares[n][b])
					fmt.Fprintf(w, " %.2f [%.2f, %.2f] |", c.med, c.q25, c.q75)
				}
			}
			fmt.Fprintln(w)
		}
		if ours, theirs := byS["automl-nsga2"], byS["optuna-nsga2"]; ours != nil && theirs != nil {
			var rs []string
			for _, bud := range budgets {
				rs = append(rs, fmt.Sprintf("%d trials %.2f", bud, summarize(ours[bud]).med/summarize(theirs[bud]).med))
			}
			fmt.Fprintf(w, "\nNSGA-II against NSGA-II (automl-nsga2's median regret / optuna-nsga2's): %s.\n", strings.Join(rs, ", "))
		}
		if len(best[true]) == 0 || len(best[false]) == 0 {
			continue
		}
		if p.NC > 0 {
			o, a := bestName[false][mid], bestName[true][mid]
			so, sa := summarize(shares[o][mid]).med, summarize(shares[a][mid]).med
			ro, ra := best[false][mid], best[true][mid]
			ok1, ok2 := ro <= 0.5*ra, so > sa
			verdict, shareOK := map[bool]string{true: "met", false: "not met"}[ok1 && ok2], yesNo(ok2)
			if so == 1 && sa == 1 { // no infeasible trial on either side: nothing to be higher than
				verdict, shareOK = "regret "+map[bool]string{true: "met", false: "not met"}[ok1]+", feasible share not applicable", "every trial feasible on both sides"
			}
			fmt.Fprintf(w, "\nGoal on %s (at %d trials, our best sampler's median regret at most 0.5x Optuna's best's, and a higher feasible share): %s. "+
				"Regret: ours %.4g (%s) <= 0.5x Optuna's %.4g (%s): %s (%.2gx); feasible share: %.2f against %.2f: %s.\n",
				p.Name, mid, verdict, ro, o, ra, a, yesNo(ok1), ro/ra, so, sa, shareOK)
			continue
		}
		met := true
		var parts []string
		for _, b := range budgets {
			o, a := best[false][b], best[true][b]
			want, bound := a, "<="
			if b == mid {
				want, bound = 0.5*a, "<= 0.5x"
			}
			ok := o <= want
			met = met && ok
			parts = append(parts, fmt.Sprintf("%d trials: ours %.4f (%s) %s Optuna's %.4f (%s): %s", b, o, bestName[false][b], bound, a, bestName[true][b], yesNo(ok)))
		}
		fmt.Fprintf(w, "\nGoal on %s: %s. %s.\n", p.Name, map[bool]string{true: "met", false: "not met"}[met], strings.Join(parts, "; "))
	}
}

// figureOf says what a problem's table measures.
func figureOf(p *problem) string {
	if p.K == 1 {
		return fmt.Sprintf("known constrained minimum %.6g; regret of the best feasible value (+Inf: no feasible trial yet)", p.Opt)
	}
	s := fmt.Sprintf("reference point %v, true front's hypervolume %.4f; hypervolume regret", p.Ref, p.TrueHV)
	if p.NC > 0 {
		s = fmt.Sprintf("reference point %v, true feasible front's hypervolume %.4f; hypervolume regret of the feasible trials", p.Ref, p.TrueHV)
	}
	return s
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}
