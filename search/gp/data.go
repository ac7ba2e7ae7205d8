package gp

import (
	"math"
	"sort"

	"automl/search"
)

// training is what the GP is fitted to: features and losses of the usable
// trials, in history order, plus the pending points to fantasise.
type training struct {
	x       [][]float64
	u       [][]float64 // the encodings behind x (NaN: inactive)
	loss    []float64
	imp     []bool    // imported results (see hyper.go: the discrepancy)
	feas    []bool    // complete with a finite loss and feasible (Violation <= 0)
	viol    []float64 // their total violation (+Inf for imputed losses)
	pending [][]float64
	// settled counts the observations (of x, loss) that come before the
	// first recent pending trial in history order (fitahead.go): trials
	// created later may still finish and join x, but never before these,
	// unless a straggler (a trial pending among older ones) finishes.
	settled int
	// Several objectives and constraints (goals.go): fit, when set, is the
	// data the hyperparameters are fitted to (the equal-weight
	// scalarisation); cons is each constraint's data; constrained says the
	// study has constraints, so EI's incumbent is the best feasible loss.
	fit         *training
	cons        []*training
	constrained bool
	// dropped lists trials left out, with why, for the log.
	dropped []droppedTrial
}

type droppedTrial struct {
	id     int
	reason string
}

// prepare turns the history into training data. How each kind of trial
// feeds the model:
//
//   - complete, finite loss: as is;
//   - complete, +Inf loss: the worst finite loss (it was at least that bad);
//   - complete, NaN or -Inf loss, or no loss: left out (logged);
//   - pruned: its last loss, but no better than the median complete loss
//     (it was stopped for looking worse than its peers); without a loss,
//     the worst loss;
//   - failed: the worst loss, so the model steers away from configurations
//     that crash (out of memory, diverged) instead of retrying them;
//   - pending: not data; fantasised at the posterior mean (Kriging
//     believer), which keeps parallel suggestions apart;
//   - imported (a warm start from another study): complete, as data of a
//     related function, the study's plus a smooth discrepancy (hyper.go).
//
// Imputed values need at least one complete finite loss; before that,
// pruned and failed trials are left out.
func prepare(s *search.Space, lay *layout, h *search.History) *training {
	t := &training{}
	if h == nil {
		return t
	}
	var finite []float64
	for _, o := range h.Trials {
		if o.Status == search.Complete && o.HasLoss && !math.IsNaN(o.Loss) && !math.IsInf(o.Loss, 0) {
			finite = append(finite, o.Loss)
		}
	}
	worst, median := math.NaN(), math.NaN()
	if len(finite) > 0 {
		sorted := append([]float64(nil), finite...)
		sort.Float64s(sorted)
		worst, median = sorted[len(sorted)-1], sorted[len(sorted)/2]
	}
	add := func(o *search.Observation, y float64) {
		u := s.Encode(o.Point)
		t.u = append(t.u, u)
		t.x = append(t.x, lay.features(u, nil))
		t.loss = append(t.loss, y)
		t.imp = append(t.imp, o.Imported)
		own := o.Status == search.Complete && y == o.Loss
		t.feas = append(t.feas, own && o.Violation <= 0)
		t.viol = append(t.viol, math.Inf(1))
		if own {
			t.viol[len(t.viol)-1] = o.Violation
		}
	}
	var held [][2]int // pending trials: index in the history, observations before it
	for i := range h.Trials {
		o := &h.Trials[i]
		switch o.Status {
		case search.Pending:
			held = append(held, [2]int{i, len(t.loss)})
			t.pending = append(t.pending, lay.features(s.Encode(o.Point), nil))
		case search.Complete:
			switch {
			case !o.HasLoss || math.IsNaN(o.Loss):
				t.dropped = append(t.dropped, droppedTrial{o.ID, "complete without a usable loss (NaN)"})
			case math.IsInf(o.Loss, -1):
				t.dropped = append(t.dropped, droppedTrial{o.ID, "loss is -Inf"})
			case math.IsInf(o.Loss, 1):
				if len(finite) > 0 {
					add(o, worst)
				} else {
					t.dropped = append(t.dropped, droppedTrial{o.ID, "loss is +Inf and no finite loss yet"})
				}
			default:
				add(o, o.Loss)
			}
		case search.Pruned:
			if len(finite) == 0 {
				continue
			}
			if o.HasLoss && !math.IsNaN(o.Loss) && !math.IsInf(o.Loss, 0) {
				add(o, math.Min(math.Max(o.Loss, median), worst))
			} else {
				add(o, worst)
			}
		case search.Failed:
			if len(finite) > 0 {
				add(o, worst)
			}
		}
	}
	t.settled = len(t.loss)
	for _, p := range held {
		if p[0] >= len(h.Trials)-2*(len(held)+1) {
			t.settled = p[1]
			break
		}
	}
	return t
}

// fitOn is the data the hyperparameters are fitted to.
func (t *training) fitOn() *training {
	if t.fit != nil {
		return t.fit
	}
	return t
}

// rows returns the features, losses and imported marks of the given
// observations.
func (t *training) rows(idx []int) (x [][]float64, loss []float64, imp []bool) {
	x, loss, imp = make([][]float64, len(idx)), make([]float64, len(idx)), make([]bool, len(idx))
	for k, i := range idx {
		x[k], loss[k], imp[k] = t.x[i], t.loss[i], t.imp[i]
	}
	return x, loss, imp
}

// subset picks at most m of n observations for the model when there are
// more: the best m/2 by loss, and the rest spread evenly over history
// order. It returns indices in history order.
func subset(loss []float64, m int) []int {
	n := len(loss)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n <= m {
		return idx
	}
	byLoss := append([]int(nil), idx...)
	sort.SliceStable(byLoss, func(a, b int) bool { return loss[byLoss[a]] < loss[byLoss[b]] })
	take := make([]bool, n)
	for _, i := range byLoss[:m/2] {
		take[i] = true
	}
	var rest []int
	for i := 0; i < n; i++ {
		if !take[i] {
			rest = append(rest, i)
		}
	}
	need := m - m/2
	for k := 0; k < need; k++ {
		take[rest[k*len(rest)/need]] = true
	}
	out := make([]int, 0, m)
	for i := 0; i < n; i++ {
		if take[i] {
			out = append(out, i)
		}
	}
	return out
}
