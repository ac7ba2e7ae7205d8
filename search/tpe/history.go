package tpe

import (
	"math"
	"slices"
	"sort"

	"automl/search"
)

// trialRow is one trial as TPE sees it: its model coordinates (NaN where
// inactive) and its rank key.
type trialRow struct {
	x       []float64
	pending bool
	imp     bool // an imported result (a warm start)
	// Rank key, ascending is better, after Optuna: complete feasible
	// trials by loss (several objectives: by non-dominated rank, see
	// multi.go); then pruned ones, further-trained first, then by their
	// last value; then pruned ones that never reported; then infeasible
	// ones by total violation; pending trials last.
	class, loss float64
	// losses are a complete feasible trial's objectives (as losses) in a
	// study of several, nil otherwise.
	losses []float64
}

// infeasibleClass is the class of a complete trial that violates its
// constraints: after every feasible and every pruned trial (as in
// Optuna's TPE with constraints_func), before the pending ones.
const infeasibleClass = 2

// rows turns the history into trial rows. Failed trials carry no
// information about the objective and are left out; so are completed trials
// whose loss is NaN, and, in a study of several objectives, completed ones
// without every objective (each is logged once by the caller via dropped).
func rows(space *search.Space, dims []dim, h *search.History) (out []trialRow, dropped []dropout) {
	if h == nil {
		return nil, nil
	}
	k := objectives(h)
	out = make([]trialRow, 0, len(h.Trials))
	for _, o := range h.Trials {
		r := trialRow{}
		switch o.Status {
		case search.Complete:
			if !o.HasLoss || math.IsNaN(o.Loss) {
				dropped = append(dropped, dropout{o.ID, whyNaN})
				continue
			}
			if k > 1 && !usableLosses(o.Losses, k) {
				dropped = append(dropped, dropout{o.ID, whyObjectives})
				continue
			}
			r.class, r.loss = math.Inf(-1), o.Loss
			switch {
			case !(o.Violation <= 0): // infeasible, or NaN: the worst
				r.class, r.loss = infeasibleClass, o.Violation
				if math.IsNaN(r.loss) {
					r.loss = math.Inf(1)
				}
			case k > 1:
				r.losses = o.Losses
			}
		case search.Pruned:
			switch {
			case !o.HasLoss:
				r.class, r.loss = 1, 0
			case math.IsNaN(o.Loss):
				r.class, r.loss = -o.Resource, math.Inf(1)
			default:
				r.class, r.loss = -o.Resource, o.Loss
			}
		case search.Pending:
			r.pending = true
			r.class, r.loss = math.Inf(1), math.Inf(1)
		default:
			continue
		}
		r.x = encode(space, dims, o.Point)
		r.imp = o.Imported
		out = append(out, r)
	}
	if k > 1 {
		rankFronts(out)
	}
	return out, dropped
}

func encode(space *search.Space, dims []dim, p search.Point) []float64 {
	u := space.Encode(p)
	for i := range u {
		u[i] = dims[i].toModel(u[i])
	}
	return u
}

// split ranks the finished rows and returns the indices of the best nBelow
// (below) and of the rest plus any pending rows (above), each in
// chronological order, as Optuna does. In a study of several objectives,
// a front that the good group takes only in part gives it the members
// that add the most hypervolume (selectFront).
func split(rs []trialRow, nBelow int, liar bool) (below, above []int) {
	idx := make([]int, 0, len(rs))
	for i := range rs {
		if !rs[i].pending || liar {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		ra, rb := &rs[a], &rs[b]
		switch {
		case ra.class < rb.class:
			return -1
		case ra.class > rb.class:
			return 1
		case ra.loss < rb.loss:
			return -1
		case ra.loss > rb.loss:
			return 1
		}
		return a - b // stable: ties keep chronological order
	})
	if nBelow > 0 && nBelow < len(idx) && rs[idx[nBelow-1]].losses != nil {
		selectFront(rs, idx, nBelow)
	}
	below = append([]int(nil), idx[:nBelow]...)
	above = append([]int(nil), idx[nBelow:]...)
	slices.Sort(below)
	slices.Sort(above)
	return below, above
}

// groups decides which parameters are modelled jointly. Univariate TPE
// models each alone. Multivariate TPE models jointly the parameters active
// in every finished trial (the others alone); with Group, the parameters
// are split into groups by the active sets of finished trials (each group is
// active as a whole in any trial) and each group is modelled jointly.
func groups(o *Options, rs []trialRow, d int) [][]int {
	if !o.Multivariate {
		out := make([][]int, d)
		for i := range out {
			out[i] = []int{i}
		}
		return out
	}
	var finished [][]bool
	for _, r := range rs {
		if r.pending {
			continue
		}
		act := make([]bool, d)
		for i, x := range r.x {
			act[i] = !math.IsNaN(x)
		}
		finished = append(finished, act)
	}
	var out [][]int
	covered := make([]bool, d)
	switch {
	case !o.Multivariate:
	case o.Group:
		out = decompose(finished, d)
	default:
		var joint []int
		for i := 0; i < d && len(finished) > 0; i++ {
			all := true
			for _, act := range finished {
				all = all && act[i]
			}
			if all {
				joint = append(joint, i)
			}
		}
		if len(joint) > 0 {
			out = append(out, joint)
		}
	}
	for _, g := range out {
		for _, i := range g {
			covered[i] = true
		}
	}
	// Singletons after the joint groups; a singleton group is modelled
	// univariately (Optuna's independent sampling).
	for i := 0; i < d; i++ {
		if !covered[i] {
			out = append(out, []int{i})
		}
	}
	return out
}

// decompose refines a partition of the active parameters by each trial's
// active set, like Optuna's GroupDecomposedSearchSpace.
func decompose(sets [][]bool, d int) [][]int {
	var parts [][]int
	for _, act := range sets {
		var rest []int
		for i := 0; i < d; i++ {
			if act[i] {
				rest = append(rest, i)
			}
		}
		var next [][]int
		for _, g := range parts {
			var in, out []int
			for _, i := range g {
				if act[i] {
					in = append(in, i)
				} else {
					out = append(out, i)
				}
			}
			if len(in) > 0 {
				next = append(next, in)
			}
			if len(out) > 0 {
				next = append(next, out)
			}
			rest = without(rest, in)
		}
		if len(rest) > 0 {
			next = append(next, rest)
		}
		parts = next
	}
	sort.Slice(parts, func(a, b int) bool { return parts[a][0] < parts[b][0] })
	return parts
}

func without(xs, drop []int) []int {
	if len(drop) == 0 {
		return xs
	}
	m := make(map[int]bool, len(drop))
	for _, i := range drop {
		m[i] = true
	}
	out := xs[:0:0]
	for _, x := range xs {
		if !m[x] {
			out = append(out, x)
		}
	}
	return out
}
