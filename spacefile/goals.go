package spacefile

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"automl/search"
	"automl/trial/goal"
)

// Goals are the study's objectives (objective:, or the list under
// objectives:) and its constraints.
func (f *File) Goals() goal.Set { return goal.Of(f.Objective, f.Objectives, f.Constraints) }

// objectives reads objectives: a list of two or more {metric, direction},
// each metric once. The first is also the file's Objective (the value a
// trial's record carries, the metric jobs name).
func (p *parser) objectives(key, n *yaml.Node, s *File) {
	n = deref(n)
	s.pos.objectives = posOf(key)
	const eg = "objectives: [{metric: val_loss, direction: minimize}, {metric: params, direction: minimize}]"
	if n.Kind != yaml.SequenceNode {
		p.errorf(posOf(n), "objectives", "want a list of {metric, direction}, got %s; e.g. %s", kindName(n), eg)
		return
	}
	if len(n.Content) < 2 {
		p.errorf(posOf(n), "objectives", "give 2 or more objectives (got %d); for one, write objective: {metric: val_loss, direction: minimize}", len(n.Content))
	}
	seen := map[string]int{} // metric -> its line
	for i, item := range n.Content {
		where := fmt.Sprintf("objectives[%d]", i)
		o, pos := p.objectiveEntry(item, where, "{metric: val_loss, direction: minimize}")
		if o.Metric == "" {
			continue
		}
		if line, dup := seen[o.Metric]; dup {
			p.errorf(pos, where+".metric", "metric %q is already an objective (line %d); each objective is a different metric", o.Metric, line)
			continue
		}
		seen[o.Metric] = pos.Line
		if i == 0 {
			s.Objective, s.pos.metric = o, pos
		}
		s.Objectives = append(s.Objectives, o)
	}
}

// constraints reads constraints: a list of {metric, max} or {metric, min}
// over any reported metric (an objective's too).
func (p *parser) constraints(n *yaml.Node, s *File) {
	n = deref(n)
	const eg = "constraints: [{metric: latency_ms, max: 5}]"
	if n.Kind != yaml.SequenceNode {
		p.errorf(posOf(n), "constraints", "want a list of {metric, max} or {metric, min}, got %s; e.g. %s", kindName(n), eg)
		return
	}
	if len(n.Content) == 0 {
		p.errorf(posOf(n), "constraints", "the list is empty; give at least one constraint (%s) or remove the key", eg)
	}
	seen := map[string]int{} // "metric max" -> its line
	for i, item := range n.Content {
		where := fmt.Sprintf("constraints[%d]", i)
		fs := p.fields(item, where, []string{"metric", "max", "min"})
		if deref(item).Kind != yaml.MappingNode {
			continue
		}
		var c goal.Constraint
		var metricPos Pos
		bad := false
		for _, f := range fs {
			switch f.key {
			case "metric":
				v, ok := p.str(f.val, where+".metric")
				if !ok {
					bad = true
					continue
				}
				if !nameRe.MatchString(v) {
					p.errorf(posOf(f.val), where+".metric", "%q is not a valid metric name (letters, digits, '_', '.', '-')", v)
					bad = true
				}
				c.Metric, metricPos = v, posOf(f.val)
			case "max", "min":
				x, ok := p.num(f.val, where+"."+f.key)
				if !ok {
					bad = true
					continue
				}
				if f.key == "max" {
					c.Max = &x
				} else {
					c.Min = &x
				}
			}
		}
		at := posOf(deref(item))
		switch {
		case c.Metric == "" && !bad && !p.guessed[where+".metric"]:
			p.errorf(at, where, "missing required key \"metric\", e.g. {metric: latency_ms, max: 5}")
			bad = true
		case c.Max != nil && c.Min != nil:
			p.errorf(at, where, "give one bound, max or min, not both; for a range, write two constraints on %q", c.Metric)
			bad = true
		case c.Max == nil && c.Min == nil && !bad && !p.guessed[where+".max"] && !p.guessed[where+".min"]:
			p.errorf(at, where, "constraint on %q has no bound: give max: (the metric must stay at or below it) or min: (at or above it), e.g. {metric: %s, max: 5}", c.Metric, c.Metric)
			bad = true
		}
		if bad || (c.Max == nil && c.Min == nil) {
			continue
		}
		kind := "max"
		if c.Min != nil {
			kind = "min"
		}
		if line, dup := seen[c.Metric+" "+kind]; dup {
			p.errorf(metricPos, where, "%q already has a %s bound (line %d); give each bound once", c.Metric, kind, line)
			continue
		}
		seen[c.Metric+" "+kind] = metricPos.Line
		s.Constraints = append(s.Constraints, c)
	}
}

// checkObjectivesAlgorithm refuses several objectives with an algorithm
// that optimises one.
func (p *parser) checkObjectivesAlgorithm(s *File) {
	if len(s.Objectives) < 2 {
		return
	}
	if a, ok := search.Lookup(s.Algorithm.Name); !ok || a.MultiObjective {
		return
	}
	p.errorf(s.pos.objectives, "objectives", "algorithm %s optimises one objective; several objectives work with %s, "+
		"or keep one objective (objective:) and bound the others with constraints:",
		s.Algorithm.Name, strings.Join(MultiObjectiveAlgorithms(), ", "))
}

// MultiObjectiveAlgorithms lists the algorithms that run studies with
// several objectives, sorted.
func MultiObjectiveAlgorithms() []string {
	var names []string
	for _, n := range search.AlgorithmNames() {
		if a, ok := search.Lookup(n); ok && a.MultiObjective && !slices.Contains(names, a.Name) {
			names = append(names, a.Name)
		}
	}
	slices.Sort(names)
	return names
}
