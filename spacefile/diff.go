package spacefile

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"automl/search"
	"automl/search/value"
)

// Diff says how two space files differ in what decides a study's trials
// (parameters, objective, algorithm and its seed, resource, trainer), or ""
// when they do not. Budgets and the trainer's timeouts (timeout, progress_timeout) may change between
// runs of a study; positions and comments never matter.
func Diff(a, b *File) string {
	e := Compare(a, b)
	for _, p := range e.Params {
		return p.String()
	}
	return cmp.Or(e.Order, e.Other, e.Options)
}

// Edit is how an edited space file differs from a study's: change by
// change for its parameters and the algorithm's options, which a study
// may take on (automl search --allow-space-change), and the first other
// difference, which no study can (objective, algorithm, seed, resource,
// trainer, study name).
type Edit struct {
	// Params are the parameters that changed: the new file's in its order,
	// then the removed ones in the old file's.
	Params []ParamEdit
	// Order says how the parameters kept were reordered ("": they were not).
	Order string
	// Options says how the algorithm's options changed ("": they did not).
	Options string
	// Other is the first difference outside the parameters and options.
	Other string
}

// Empty reports whether nothing that decides trials changed.
func (e Edit) Empty() bool {
	return len(e.Params) == 0 && e.Order == "" && e.Options == "" && e.Other == ""
}

// ParamEdit is how one parameter changed.
type ParamEdit struct {
	Name           string
	Added, Removed bool
	// Parts say what changed in a parameter of both files, each in a few
	// words: "high 0.1 → 1 (widened)", "choices + adamw", "log false → true".
	Parts []string
	// Refused says why the change cannot apply ("" when it can).
	Refused string
	// Default is an added parameter's default (Absent when it has none).
	Default value.Value
}

// String is the change in one line: "lr: high 0.1 → 1 (widened)".
func (p ParamEdit) String() string {
	switch {
	case p.Added && p.Default.IsAbsent():
		return p.Name + ": added"
	case p.Added:
		return fmt.Sprintf("%s: added (default %s)", p.Name, p.Default)
	case p.Removed:
		return p.Name + ": removed"
	case p.Refused != "":
		return p.Name + ": " + p.Refused
	}
	return p.Name + ": " + strings.Join(p.Parts, ", ")
}

// Compare says how space file b differs from a, the file a study was
// created (or last edited) with.
func Compare(a, b *File) Edit {
	var e Edit
	pa, pb := a.Space.Params, b.Space.Params
	old := map[string]*search.Param{}
	for i := range pa {
		old[pa[i].Name] = &pa[i]
	}
	var keptOld, keptNew []string
	for i := range pb {
		q := &pb[i]
		p, ok := old[q.Name]
		if !ok {
			e.Params = append(e.Params, ParamEdit{Name: q.Name, Added: true, Default: q.Default})
			continue
		}
		keptNew = append(keptNew, q.Name)
		if pe, changed := compareParam(p, q); changed {
			e.Params = append(e.Params, pe)
		}
	}
	for i := range pa {
		if _, ok := b.Space.Param(pa[i].Name); ok {
			keptOld = append(keptOld, pa[i].Name)
		} else {
			e.Params = append(e.Params, ParamEdit{Name: pa[i].Name, Removed: true})
		}
	}
	if !slices.Equal(keptOld, keptNew) {
		e.Order = fmt.Sprintf("parameters reordered: %s (was %s)", strings.Join(keptNew, ", "), strings.Join(keptOld, ", "))
	}
	e.Options = compareOptions(a.Algorithm.Options, b.Algorithm.Options)
	e.Other = otherDiff(a, b)
	return e
}

// Defaults counts, for each parameter the edit adds to file f, the
// earlier trials (their values) that take its default: those for which it
// is active in the new space and that fit it otherwise. A parameter added
// without a default that some of them need is an error placed at its
// definition in f.
func (e Edit) Defaults(f *File, earlier []value.Values) (map[string]int, error) {
	params := slices.Clone(f.Space.Params)
	var added []int // indices in the new space
	for _, p := range e.Params {
		if !p.Added {
			continue
		}
		i := f.Space.Index(p.Name)
		added = append(added, i)
		if params[i].Default.IsAbsent() { // a stand-in, to see where it would be needed
			params[i].Default = exampleValue(&params[i])
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	probe, err := search.NewSpace(params)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, vs := range earlier {
		p, err := probe.Fit(vs)
		if err != nil {
			continue // outside the new space anyway
		}
		for _, j := range added {
			if _, had := vs.Get(params[j].Name); !had && !p[j].IsAbsent() {
				n[params[j].Name]++
			}
		}
	}
	for _, j := range added {
		name := params[j].Name
		if c := n[name]; c > 0 && f.Space.Params[j].Default.IsAbsent() {
			trials := fmt.Sprintf("%d earlier trials", c)
			if c == 1 {
				trials = "1 earlier trial"
			}
			return nil, f.ParamError(name, "added to a study whose %s ran without it: give it a default: the value they ran with (e.g. default: %s)", trials, exampleValue(&params[j]))
		}
	}
	return n, nil
}

// exampleValue is a value the parameter can take, for an example.
func exampleValue(p *search.Param) value.Value {
	switch p.Type {
	case search.CategoricalParam:
		return p.Choices[0]
	case search.IntParam:
		return value.Int(int64(p.Low))
	}
	return value.Float(p.Low)
}

// otherDiff is the first difference outside the parameters and the
// algorithm's options, or "".
func otherDiff(a, b *File) string {
	aa, ab := a.Algorithm, b.Algorithm
	switch {
	case a.Study != b.Study:
		return fmt.Sprintf("study %q vs %q", a.Study, b.Study)
	case a.Objective != b.Objective:
		return fmt.Sprintf("objective %s %s → %s %s", a.Objective.Direction, a.Objective.Metric, b.Objective.Direction, b.Objective.Metric)
	case jsonString(a.Goals()) != jsonString(b.Goals()):
		return "objectives or constraints changed"
	case aa.Name != ab.Name:
		return fmt.Sprintf("algorithm %s → %s", aa.Name, ab.Name)
	case aa.Seed != nil && ab.Seed != nil && *aa.Seed != *ab.Seed:
		return fmt.Sprintf("seed %d → %d", *aa.Seed, *ab.Seed)
	case a.Resource != b.Resource:
		return fmt.Sprintf("resource %s → %s", a.Resource, b.Resource)
	case a.Trainer.Plugin != b.Trainer.Plugin:
		return fmt.Sprintf("trainer %s → %s", a.Trainer.Plugin, b.Trainer.Plugin)
	case jsonString(a.Trainer.Config) != jsonString(b.Trainer.Config):
		return "trainer config changed"
	}
	return ""
}

// compareParam lists what changed in a parameter both files have.
func compareParam(p, q *search.Param) (ParamEdit, bool) {
	e := ParamEdit{Name: q.Name}
	if reflect.DeepEqual(*p, *q) {
		return e, false
	}
	if p.Type != q.Type {
		e.Refused = fmt.Sprintf("type %s → %s: a parameter cannot change type (its earlier values would mean something else); give the new one another name and remove %s", p.Type, q.Type, p.Name)
		return e, true
	}
	add := func(format string, args ...any) { e.Parts = append(e.Parts, fmt.Sprintf(format, args...)) }
	if q.Type == search.CategoricalParam {
		plus, minus := listDiff(q.Choices, p.Choices, " + "), listDiff(p.Choices, q.Choices, " - ")
		switch {
		case plus+minus != "":
			add("choices%s%s", plus, minus)
		case !valuesEqual(p.Choices, q.Choices):
			add("choices reordered: %s", list(q.Choices))
		}
	} else {
		if p.Low != q.Low {
			add("low %v → %v (%s)", p.Low, q.Low, widerIf(q.Low < p.Low))
		}
		if p.High != q.High {
			add("high %v → %v (%s)", p.High, q.High, widerIf(q.High > p.High))
		}
		if p.Log != q.Log {
			add("log %v → %v", p.Log, q.Log)
		}
		if intStep(p) != intStep(q) {
			add("step %s → %s", orNone(p.Step), orNone(q.Step))
		}
		if !valuesEqual(p.Grid, q.Grid) {
			add("grid %s → %s", list(p.Grid), list(q.Grid))
		}
		if p.Points != q.Points {
			add("points %d → %d", p.Points, q.Points)
		}
	}
	if !reflect.DeepEqual(p.When, q.When) {
		add("when %s → %s", conditions(p.When), conditions(q.When))
	}
	if !p.Default.Equal(q.Default) || p.Default.Kind() != q.Default.Kind() {
		add("default %s → %s", valueOrNone(p.Default), valueOrNone(q.Default))
	}
	return e, len(e.Parts) > 0
}

// intStep is a parameter's step as it matters: an int without one (a
// log-scale int) takes every integer, as with step 1.
func intStep(p *search.Param) float64 {
	if p.Type == search.IntParam && p.Step == 0 {
		return 1
	}
	return p.Step
}

func widerIf(wider bool) string {
	if wider {
		return "widened"
	}
	return "narrowed"
}

func orNone(step float64) string {
	if step == 0 {
		return "none"
	}
	return fmt.Sprint(step)
}

func valueOrNone(v value.Value) string {
	if v.IsAbsent() {
		return "none"
	}
	return v.String()
}

// listDiff is the values of a that b lacks, each after sign: " + x + y".
func listDiff(a, b []value.Value, sign string) string {
	var out strings.Builder
	for _, v := range a {
		if !slices.ContainsFunc(b, v.Equal) {
			out.WriteString(sign + v.String())
		}
	}
	return out.String()
}

func valuesEqual(a, b []value.Value) bool { return slices.EqualFunc(a, b, value.Value.Equal) }

func list(vs []value.Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// conditions writes when: as the file would: {optimizer: [momentum, adam]}.
func conditions(cs []search.Condition) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		if len(c.Values) == 1 {
			parts[i] = c.Parent + ": " + c.Values[0].String()
		} else {
			parts[i] = c.Parent + ": " + list(c.Values)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// compareOptions says how the algorithm's options changed, key by key in
// name order, or "".
func compareOptions(a, b map[string]value.Value) string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		va, vb := a[k], b[k]
		if va.Equal(vb) && va.Kind() == vb.Kind() {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s → %s", k, valueOrDefault(va), valueOrDefault(vb)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "algorithm options: " + strings.Join(parts, ", ")
}

func valueOrDefault(v value.Value) string {
	if v.IsAbsent() {
		return "(default)"
	}
	return v.String()
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
