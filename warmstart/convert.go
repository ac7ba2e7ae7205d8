package warmstart

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"automl/search"
	"automl/search/value"
	"automl/trial"
)

// Origin names a source file: as the user wrote it (for messages) and as
// an absolute path (for each result's Source, so that a source means one
// file wherever the command runs).
type Origin struct {
	Name, Abs string
}

// Target is the study the results are for.
type Target struct {
	Space     *search.Space
	Objective trial.Objective
}

// MaxResults bounds the results one source may give: an import holds them
// all in memory and commits them at once.
const MaxResults = 1_000_000

// Result is what one source gave.
type Result struct {
	// Records are the results that fit, in the source's order: state
	// imported, parameters in the space's kinds, the objective's value,
	// the metrics and the resource the source has, and Source.
	Records []trial.Record
	// Skipped are the results left out, with why.
	Skipped []Skip
	// Dropped names the parameters the source has and the space does not:
	// left out of every result.
	Dropped []string
}

// Skip is a result left out.
type Skip struct {
	// Where names the result: file:line for CSV, file#N for JSON (the Nth
	// result), file:study/id for a study file.
	Where string
	// Reason is the kind of mistake ("outside the space", "missing a
	// parameter", "not completed", "no value of the objective's metric",
	// "imported there");
	// Detail says what exactly.
	Reason, Detail string
}

func (s Skip) String() string { return s.Where + ": " + s.Reason + ": " + s.Detail }

// Reasons of skips.
const (
	reasonOutside    = "outside the space"
	reasonMissing    = "missing a parameter"
	reasonIncomplete = "not completed"
	reasonNoValue    = "no value of the objective's metric"
	reasonImported   = "imported there"
)

// Summary counts the skips by reason, most frequent first, each with its
// first example: "3 outside the space (results.csv:4: parameter "x0":
// 12 is outside float from -5 to 10), 1 not completed (...)".
func (r *Result) Summary() string {
	if len(r.Skipped) == 0 {
		return ""
	}
	type group struct {
		reason string
		n      int
		first  Skip
	}
	var gs []*group
	by := map[string]*group{}
	for _, s := range r.Skipped {
		g, ok := by[s.Reason]
		if !ok {
			g = &group{reason: s.Reason, first: s}
			by[s.Reason] = g
			gs = append(gs, g)
		}
		g.n++
	}
	slices.SortStableFunc(gs, func(a, b *group) int { return cmp.Compare(b.n, a.n) })
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = fmt.Sprintf("%d %s (%s: %s)", g.n, g.reason, g.first.Where, g.first.Detail)
	}
	return strings.Join(parts, ", ")
}

// Strict is the error of strict mode: every skip, one a line (at most 20).
func (r *Result) Strict() error {
	if len(r.Skipped) == 0 {
		return nil
	}
	lines := make([]string, 0, min(len(r.Skipped), 20)+1)
	for i, s := range r.Skipped {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("and %d more", len(r.Skipped)-20))
			break
		}
		lines = append(lines, s.String())
	}
	return fmt.Errorf("%d result(s) do not fit the study (strict):\n  %s", len(r.Skipped), strings.Join(lines, "\n  "))
}

// raw is one result as a source gives it, before it is checked.
type raw struct {
	where, source string
	params        value.Values // in the source's order; a string may still spell a number (CSV)
	state         string       // "" when the source does not say
	value         float64
	hasValue      bool
	metrics       trial.Metrics
	resource      float64
}

// add checks one result against the space and records it, or its skip.
func (r *Result) add(t Target, in raw, dropped map[string]bool) {
	skip := func(reason, format string, args ...any) {
		r.Skipped = append(r.Skipped, Skip{Where: in.where, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	if in.state != "" && in.state != trial.Completed.String() {
		skip(reasonIncomplete, "its state is %s", in.state)
		return
	}
	if !in.hasValue {
		skip(reasonNoValue, "it has no %s", t.Objective.Metric)
		return
	}
	if math.IsNaN(in.value) || math.IsInf(in.value, 0) {
		skip(reasonNoValue, "%s is %v", t.Objective.Metric, in.value)
		return
	}
	p := make(search.Point, t.Space.Dim())
	for _, nv := range in.params {
		name, v := nv.Name, nv.Value
		i := t.Space.Index(name)
		if i < 0 {
			if !dropped[name] {
				dropped[name] = true
				r.Dropped = append(r.Dropped, name)
			}
			continue
		}
		if v.IsAbsent() {
			continue
		}
		prm := &t.Space.Params[i]
		c, ok := coerce(prm, v)
		if !ok {
			skip(reasonOutside, "parameter %q: %s is not one of its values (%s)", name, v, domain(prm))
			return
		}
		p[i] = c
	}
	fillDefaults(t.Space, p)
	active := t.Space.Active(p)
	for i := range t.Space.Params {
		switch {
		case active[i] && p[i].IsAbsent():
			skip(reasonMissing, "parameter %q is missing, and the space gives it no default", t.Space.Params[i].Name)
			return
		case !active[i]:
			p[i] = value.Value{} // the source's conditions differ: inactive here
		}
	}
	metrics := in.metrics
	if metrics == nil {
		metrics = trial.Metrics{}
	}
	metrics[t.Objective.Metric] = in.value
	r.Records = append(r.Records, trial.Record{
		State: trial.Imported, Params: t.Space.Values(p), Value: in.value, HasValue: true,
		Metrics: metrics, Resource: max(in.resource, 0), Source: in.source,
	})
}

// fillDefaults gives each active parameter without a value its default:
// (the space file's), parents first: a default may make a child active,
// whose own default then applies.
func fillDefaults(s *search.Space, p search.Point) {
	for range s.Params { // each round settles at least one level of conditions
		changed := false
		active := s.Active(p)
		for i := range s.Params {
			if d := s.Params[i].Default; active[i] && p[i].IsAbsent() && !d.IsAbsent() {
				p[i], changed = d, true
			}
		}
		if !changed {
			return
		}
	}
}

// coerce turns a value into the parameter's own kind (1 of a float
// parameter is 1.0, the text "0.5" of a CSV cell a number, "64" a choice
// 64), reporting whether it is one of the parameter's values.
func coerce(prm *search.Param, v value.Value) (value.Value, bool) {
	if prm.Type == search.CategoricalParam {
		for _, c := range prm.Choices {
			if c.Equal(v) || (v.Kind() == value.StringValue && c.String() == v.String()) {
				return c, true
			}
		}
		return v, false
	}
	x, ok := v.Float()
	if s, isStr := v.Str(); isStr {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		x, ok = f, err == nil
	}
	if !ok || v.Kind() == value.BoolValue || math.IsNaN(x) || math.IsInf(x, 0) {
		return v, false
	}
	c := value.Float(x)
	if prm.Type == search.IntParam {
		if x != math.Trunc(x) || math.Abs(x) > search.MaxDiscrete {
			return v, false
		}
		c = value.Int(int64(x))
	}
	return c, prm.Contains(c)
}

// domain says which values a parameter takes, for skips.
func domain(prm *search.Param) string {
	switch {
	case prm.Type == search.CategoricalParam:
		s := make([]string, len(prm.Choices))
		for i, c := range prm.Choices {
			s[i] = c.String()
		}
		return "one of " + strings.Join(s, ", ")
	case len(prm.Grid) > 0:
		s := make([]string, len(prm.Grid))
		for i, c := range prm.Grid {
			s[i] = c.String()
		}
		return "its grid " + strings.Join(s, ", ")
	case prm.Step > 0 && !(prm.Type == search.IntParam && prm.Step == 1):
		return fmt.Sprintf("%s from %v to %v in steps of %v", prm.Type, prm.Low, prm.High, prm.Step)
	}
	return fmt.Sprintf("%s from %v to %v", prm.Type, prm.Low, prm.High)
}
