package searchtest

import (
	"math"
	"strings"
	"testing"

	"automl/search"
)

// Studies of several objectives and of constraints. Their spaces are
// standard ones whose space file names objectives: or constraints:, and
// their simulated trials report, as the scheduler would fill them in from
// the metrics, a loss vector (search.Observation.Losses, the first the
// suite's Loss), a total violation (Observation.Violation) and the
// constraint's slack (Observation.Slacks):
//
//   - f2, a second objective that pulls every coordinate towards 0.8
//     while the suite's loss (Ackley) pulls it towards 1/3;
//   - f3 (three objectives), pulling towards 0.1;
//   - c, a constraint c <= 0.5 on the mean coordinate, which about half
//     the box violates; one trial in eleven does not report c, and is
//     infeasible with an infinite violation, as the scheduler makes it.
//
// An algorithm that runs several objectives (AlgorithmSpec.MultiObjective)
// runs RunGoals; one that takes constraints but one objective runs Run
// with Spaces: ConstrainedSpaces().

// GoalSpaces are the suite's studies of several objectives and
// constraints: two objectives on the continuous space, three on the
// categorical one, two with a constraint on the conditional one, and one
// objective with a constraint on the int-step space.
func GoalSpaces() []Case {
	std := map[string]Case{}
	for _, c := range Spaces() {
		std[c.Name] = c
	}
	with := func(base string, k int, constrained bool) Case {
		c := std[base]
		g := goalCase{k: k, constrained: constrained}
		c.Name = base + g.suffix()
		c.Goals, c.Report = g.yaml(), g.report
		return c
	}
	return []Case{
		with("continuous", 2, false),
		with("categorical", 3, false),
		with("conditional", 2, true),
		with("int-step", 1, true),
	}
}

// ConstrainedSpaces are the standard spaces, each a study of one
// objective with the constraint, for algorithms that optimise one
// objective and take constraints.
func ConstrainedSpaces() []Case {
	var out []Case
	for _, c := range Spaces() {
		g := goalCase{k: 1, constrained: true}
		c.Name += g.suffix()
		c.Goals, c.Report = g.yaml(), g.report
		out = append(out, c)
	}
	return out
}

// RunGoals runs Run on GoalSpaces (or cfg.Spaces when set), and, for a
// searcher that learns (Config.Learns), checks that it reads every goal:
// the same study with the other objectives turned around, or with the
// feasible and infeasible trials swapped, proposes other points.
func RunGoals(t *testing.T, cfg Config) {
	t.Helper()
	if cfg.Spaces == nil {
		cfg.Spaces = GoalSpaces()
	}
	Run(t, cfg)
	if !cfg.Learns {
		return
	}
	cfg = cfg.withDefaults()
	for _, c := range cfg.Spaces {
		if c.Report == nil {
			continue
		}
		t.Run(c.Name+"/reads-goals", func(t *testing.T) { checkReadsGoals(t, cfg, c) })
	}
}

// checkReadsGoals runs a study, then the same study whose trials report
// the other objectives negated and, in a study with constraints (Goals
// names constraints:), feasibility swapped (Loss, which
// searchers of one objective read, unchanged): a searcher that learns
// proposes other points.
func checkReadsGoals(t testing.TB, cfg Config, c Case) {
	a := start(t, cfg, c, seedA)
	a.run()
	constrained := strings.Contains(c.Goals, "constraints:")
	turned := c
	turned.Report = func(space *search.Space, o *search.Observation) {
		c.Report(space, o)
		for i := 1; i < len(o.Losses); i++ {
			o.Losses[i] = -o.Losses[i]
		}
		switch {
		case !constrained || o.Losses == nil:
		case o.Violation > 0:
			o.Violation = 0
		default:
			o.Violation = 1
		}
		for i, v := range o.Slacks {
			o.Slacks[i] = -v // the slacks turn with the feasibility
		}
	}
	b := start(t, cfg, turned, seedA)
	b.run()
	if t.Failed() {
		return
	}
	if keys(a.points) == keys(b.points) {
		t.Fatalf("the study proposed the same %d points when its trials reported other objectives and constraints: the searcher reads Loss alone", len(a.points))
	}
}

// goalCase is how a study's trials report: k objectives, and whether the
// study has the constraint c <= 0.5.
type goalCase struct {
	k           int
	constrained bool
}

func (g goalCase) suffix() string {
	s := ""
	if g.k > 1 {
		s += "-" + string(rune('0'+g.k)) + "obj"
	}
	if g.constrained {
		s += "-constrained"
	}
	return s
}

// yaml is the space file's objectives: (or objective:) and constraints:.
func (g goalCase) yaml() string {
	s := "objective: {metric: loss, direction: minimize}\n"
	if g.k > 1 {
		s = "objectives:\n  - {metric: loss, direction: minimize}\n  - {metric: f2, direction: minimize}\n"
		if g.k > 2 {
			s += "  - {metric: f3, direction: minimize}\n"
		}
	}
	if g.constrained {
		s += "constraints: [{metric: c, max: 0.5}]\n"
	}
	return s
}

// report fills in a finished trial's loss vector and violation (see the
// file's comment); a trial without a loss reports neither.
func (g goalCase) report(space *search.Space, o *search.Observation) {
	o.Losses, o.Violation, o.Slacks = nil, 0, nil
	if !o.HasLoss {
		return
	}
	u := space.Encode(o.Point)
	mean := 0.0
	for i, v := range u {
		if math.IsNaN(v) {
			u[i] = 0.5
		}
		mean += u[i] / float64(len(u))
	}
	pull := func(to float64) float64 {
		s := 0.0
		for _, v := range u {
			s += (v - to) * (v - to)
		}
		return s
	}
	o.Losses = []float64{o.Loss}
	if g.k > 1 {
		o.Losses = append(o.Losses, pull(0.8))
	}
	if g.k > 2 {
		o.Losses = append(o.Losses, pull(0.1))
	}
	if g.constrained {
		switch {
		case o.ID%11 == 5:
			o.Violation, o.Slacks = math.Inf(1), []float64{math.NaN()}
		default:
			o.Violation, o.Slacks = max(0, mean-0.5), []float64{0.5 - mean}
		}
	}
}

// reportGoals fills in a trial's goals when the study's case reports
// them (Case.Report).
func (st *study) reportGoals(o *search.Observation) {
	if st.report != nil {
		st.report(st.space, o)
	}
}
