package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// quantile of sorted xs by linear interpolation (numpy's default).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(xs)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

type cellKey struct{ sampler, fn string }

// regrets groups the regret at budget b by sampler and function.
func regrets(rs []result, b int) (map[cellKey][]float64, []string, []string) {
	m := map[cellKey][]float64{}
	sset, fset := map[string]bool{}, map[string]bool{}
	for _, r := range rs {
		v, ok := r.Regret[fmt.Sprint(b)]
		if !ok {
			continue
		}
		k := cellKey{r.Sampler, r.Func}
		m[k] = append(m[k], v)
		sset[r.Sampler], fset[r.Func] = true, true
	}
	for k := range m {
		sort.Float64s(m[k])
	}
	return m, keysOf(sset), funcOrder(fset)
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var funcRank = map[string]int{"branin": 0, "hartmann6": 1, "rosenbrock4": 2, "ackley5": 3, "levy4": 4, "styblinski_tang4": 5, "mixed": 6}

func funcOrder(m map[string]bool) []string {
	out := keysOf(m)
	sort.SliceStable(out, func(i, j int) bool { return funcRank[out[i]] < funcRank[out[j]] })
	return out
}

func fmtG(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x == 0:
		return "0"
	case math.Abs(x) >= 1000 || math.Abs(x) < 0.001:
		return fmt.Sprintf("%.2e", x)
	}
	return fmt.Sprintf("%.3g", x)
}

// printRegretTables prints, per budget, the median simple regret and its
// interquartile range [q25, q75] of every sampler on every function.
func printRegretTables(w io.Writer, rs []result, budgets []int) {
	for _, b := range budgets {
		m, samplers, fns := regrets(rs, b)
		if len(samplers) == 0 {
			continue
		}
		n := 0
		for _, v := range m {
			n = max(n, len(v))
		}
		fmt.Fprintf(w, "\n### Median simple regret after %d trials (IQR in brackets; %d seeds)\n\n", b, n)
		fmt.Fprintf(w, "| function | %s |\n|---|%s\n", strings.Join(samplers, " | "), strings.Repeat("---|", len(samplers)))
		for _, fn := range fns {
			cells := make([]string, len(samplers))
			best := math.Inf(1)
			for _, s := range samplers {
				if v := m[cellKey{s, fn}]; len(v) > 0 {
					best = math.Min(best, quantile(v, 0.5))
				}
			}
			for i, s := range samplers {
				v := m[cellKey{s, fn}]
				if len(v) == 0 {
					cells[i] = "-"
					continue
				}
				med := quantile(v, 0.5)
				c := fmt.Sprintf("%s [%s, %s]", fmtG(med), fmtG(quantile(v, 0.25)), fmtG(quantile(v, 0.75)))
				if med == best {
					c = "**" + c + "**"
				}
				cells[i] = c
			}
			fmt.Fprintf(w, "| %s | %s |\n", fn, strings.Join(cells, " | "))
		}
	}
}

// printRanks prints each sampler's mean rank at each budget: samplers are
// ranked on every (function, seed) by regret (ties share the mean rank),
// and the ranks averaged; the second figure ranks the median regrets per
// function and averages over functions.
func printRanks(w io.Writer, rs []result, budgets []int) {
	type fs struct {
		fn   string
		seed uint64
	}
	fmt.Fprintf(w, "\n### Mean rank (1 = best): per (function, seed) / of the per-function medians\n\n")
	var samplers []string
	{
		set := map[string]bool{}
		for _, r := range rs {
			set[r.Sampler] = true
		}
		samplers = keysOf(set)
	}
	fmt.Fprintf(w, "| budget | %s |\n|---|%s\n", strings.Join(samplers, " | "), strings.Repeat("---|", len(samplers)))
	for _, b := range budgets {
		byFS := map[fs]map[string]float64{}
		for _, r := range rs {
			v, ok := r.Regret[fmt.Sprint(b)]
			if !ok {
				continue
			}
			k := fs{r.Func, r.Seed}
			if byFS[k] == nil {
				byFS[k] = map[string]float64{}
			}
			byFS[k][r.Sampler] = v
		}
		sum, cnt := map[string]float64{}, map[string]int{}
		for _, vals := range byFS {
			if len(vals) != len(samplers) {
				continue
			}
			for s, r := range rankOf(vals) {
				sum[s] += r
				cnt[s]++
			}
		}
		m, _, fns := regrets(rs, b)
		msum, mcnt := map[string]float64{}, map[string]int{}
		for _, fn := range fns {
			meds := map[string]float64{}
			for _, s := range samplers {
				if v := m[cellKey{s, fn}]; len(v) > 0 {
					meds[s] = quantile(v, 0.5)
				}
			}
			if len(meds) != len(samplers) {
				continue
			}
			for s, r := range rankOf(meds) {
				msum[s] += r
				mcnt[s]++
			}
		}
		cells := make([]string, len(samplers))
		for i, s := range samplers {
			if cnt[s] == 0 {
				cells[i] = "-"
				continue
			}
			cells[i] = fmt.Sprintf("%.2f / %.2f", sum[s]/float64(cnt[s]), msum[s]/float64(max(1, mcnt[s])))
		}
		fmt.Fprintf(w, "| %d | %s |\n", b, strings.Join(cells, " | "))
	}
}

// rankOf gives each key its rank by value (1 = lowest), ties sharing the mean rank.
func rankOf(vals map[string]float64) map[string]float64 {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if vals[keys[i]] != vals[keys[j]] {
			return vals[keys[i]] < vals[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := map[string]float64{}
	for i := 0; i < len(keys); {
		j := i
		for j+1 < len(keys) && vals[keys[j+1]] == vals[keys[i]] {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[keys[k]] = r
		}
		i = j + 1
	}
	return out
}
