package spacefile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"automl/internal/suggest"
	"automl/search"
	"automl/search/value"
)

// maxPoints bounds points: N, as grid.MaxPoints bounds a grid: the grid
// spaces the N values out before it searches, so the file is refused
// before a typo costs gigabytes.
const maxPoints = 10_000_000

// parameters reads the parameters section; their positions go to s.
func (p *parser) parameters(n *yaml.Node, s *File) []search.Param {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(posOf(n), "parameters", "want a mapping of parameter names to definitions, got %s", kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(posOf(n), "parameters", "no parameters: define at least one, e.g. lr: {type: float, low: 1.0e-4, high: 0.1, log: true}")
		return nil
	}
	s.pos.params = map[string]Pos{}
	s.pos.conditions = map[string]map[string]Pos{}
	var params []search.Param
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(posOf(k), "parameters", "a parameter name must be a plain word, got %s", kindName(k))
			continue
		}
		name := k.Value
		where := fmt.Sprintf("parameter %q", name)
		if line, dup := seen[name]; dup {
			p.errorf(posOf(k), where, "duplicate parameter name (first defined at line %d)", line)
			continue
		}
		seen[name] = k.Line
		if !nameRe.MatchString(name) {
			p.errorf(posOf(k), where, "name must start with a letter or '_' and hold only letters, digits, '_', '.', '-'")
		}
		s.pos.params[name] = posOf(k)
		if prm, ok := p.param(name, v, where, s); ok {
			params = append(params, prm)
		}
	}
	return params
}

func (p *parser) param(name string, n *yaml.Node, where string, s *File) (search.Param, bool) {
	prm := search.Param{Name: name}
	if n.Kind != yaml.MappingNode {
		p.errorf(posOf(n), where, "want a definition such as {type: float, low: 0, high: 1}, got %s", kindName(n))
		return prm, false
	}
	before := len(p.errs)
	// The type decides which keys are allowed, so read it first.
	var typeNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			typeNode = deref(n.Content[i+1])
		}
	}
	allowed := allParamKeys
	if typeNode != nil {
		t, _ := p.str(typeNode, where+": type")
		switch t {
		case "float":
			prm.Type, allowed = search.FloatParam, numericKeys
		case "int":
			prm.Type, allowed = search.IntParam, numericKeys
		case "categorical":
			prm.Type, allowed = search.CategoricalParam, categoricalKeys
		default:
			hint := suggest.Hint(t, paramTypes)
			if h, ok := typeSynonyms[strings.ToLower(t)]; ok && hint == "" {
				hint = fmt.Sprintf(" (did you mean %q?)", h)
			}
			if t != "" {
				p.errorf(posOf(typeNode), where, "unknown type %q%s; one of float, int, categorical", t, hint)
			}
		}
	}
	fs := p.fieldsFor(n, where, allowed, prm.Type)
	if typeNode == nil && !p.guessed[joinWhere(where, "type")] {
		p.errorf(posOf(n), where, "missing required key \"type\" (float, int or categorical)")
	}
	got := map[string]*yaml.Node{}
	for _, f := range fs {
		got[f.key] = f.val
		switch f.key {
		case "low", "high", "step":
			x, ok := p.num(f.val, where+": "+f.key)
			if !ok {
				continue
			}
			if prm.Type == search.IntParam && x != math.Trunc(x) {
				p.errorf(posOf(f.val), where, "%s of an int parameter must be a whole number, got %s", f.key, f.val.Value)
				continue
			}
			switch f.key {
			case "low":
				prm.Low = x
			case "high":
				prm.High = x
			case "step":
				if x <= 0 {
					p.errorf(posOf(f.val), where, "step must be > 0, got %s", f.val.Value)
					continue
				}
				prm.Step = x
			}
		case "log":
			if b, ok := p.boolean(f.val, where+": log"); ok {
				prm.Log = b
			}
		case "points":
			if v, ok := p.integer(f.val, where+": points"); ok {
				switch {
				case v < 2:
					p.errorf(posOf(f.val), where, "points must be >= 2, got %d", v)
					continue
				case v > maxPoints:
					p.errorf(posOf(f.val), where, "points must be at most %d (the most a grid holds), got %d", maxPoints, v)
					continue
				}
				prm.Points = int(v)
			}
		case "choices":
			prm.Choices = p.valueList(f.val, where, "choices")
		case "grid":
			prm.Grid = p.valueList(f.val, where, "grid")
		case "when":
			prm.When = p.when(f.val, name, where, s)
		case "default":
			prm.Default, _ = p.scalarValue(f.val, where+": default")
		}
	}
	if len(p.errs) > before {
		return prm, false
	}

	switch prm.Type {
	case search.FloatParam, search.IntParam:
		ok := true
		for _, key := range []string{"low", "high"} {
			if got[key] == nil {
				p.errorf(posOf(n), where, "missing required key %q (%s parameters need low and high)", key, prm.Type)
				ok = false
			}
		}
		if !ok {
			return prm, false
		}
		p.checkRange(&prm, got, where)
	case search.CategoricalParam:
		if got["choices"] == nil {
			p.errorf(posOf(n), where, "missing required key \"choices\", e.g. choices: [adam, sgd]")
		}
	}
	if d := got["default"]; d != nil && len(p.errs) == before {
		prm.Default = p.checkDefault(&prm, d, where)
	}
	return prm, len(p.errs) == before
}

// checkDefault checks a parameter's default: a value it can take, as its
// own kind (an int's 3, not 3.0). The default is what earlier trials of a
// study that did not have the parameter are taken to have run with.
func (p *parser) checkDefault(prm *search.Param, n *yaml.Node, where string) value.Value {
	v, at := prm.Default, posOf(deref(n))
	x, isNum := v.Float()
	isNum = isNum && v.Kind() != value.BoolValue
	switch {
	case prm.Type == search.CategoricalParam:
		for _, c := range prm.Choices {
			if c.Equal(v) {
				return c
			}
		}
		p.errorf(at, where, "default %s is not one of the choices %s", formatValue(v), formatValues(prm.Choices))
		return value.Value{}
	case !isNum:
		p.errorf(at, where, "default must be a number, got %s", formatValue(v))
		return value.Value{}
	case prm.Type == search.IntParam && x != math.Trunc(x):
		p.errorf(at, where, "default of an int parameter must be a whole number, got %s", deref(n).Value)
		return value.Value{}
	}
	if prm.Type == search.IntParam {
		v = value.Int(int64(x))
	} else {
		v = value.Float(x)
	}
	switch {
	case x < prm.Low || x > prm.High:
		p.errorf(at, where, "default %v is outside [low, high] = [%v, %v]", x, prm.Low, prm.High)
	case !prm.Contains(v):
		p.errorf(at, where, "default %v is not low + k*step (low %v, step %v)", x, prm.Low, prm.Step)
	default:
		return v
	}
	return value.Value{}
}

func formatValues(vs []value.Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = formatValue(v)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// fieldsFor is fields() with a clearer message for a key that belongs to
// another parameter type (low on a categorical, choices on a float).
func (p *parser) fieldsFor(n *yaml.Node, where string, allowed []string, t search.ParamType) []field {
	var fs []field
	for _, f := range p.fields(n, where, allParamKeys) {
		if !contains(allowed, f.key) {
			p.errorf(posOf(f.keyNode), where, "key %q does not apply to a %s parameter; allowed: %s", f.key, t, strings.Join(allowed, ", "))
			continue
		}
		fs = append(fs, f)
	}
	return fs
}

func (p *parser) checkRange(prm *search.Param, got map[string]*yaml.Node, where string) {
	at := func(key string) Pos { return posOf(got[key]) }
	if prm.Low >= prm.High {
		p.errorf(at("low"), where, "low must be below high, got low %v >= high %v", prm.Low, prm.High)
		return
	}
	if prm.Log && prm.Low <= 0 {
		p.errorf(at("low"), where, "log scale needs low > 0, got %v", prm.Low)
		return
	}
	// Past search.MaxDiscrete the unit-cube transform can no longer tell one
	// integer from the next, and a range wider than the largest float
	// cannot be sampled at all.
	if prm.Type == search.IntParam && (math.Abs(prm.Low) > search.MaxDiscrete || math.Abs(prm.High) > search.MaxDiscrete) {
		p.errorf(at("low"), where, "int bounds must lie within -1e13 and 1e13, got [%v, %v]", prm.Low, prm.High)
		return
	}
	if math.IsInf(prm.High-prm.Low, 0) {
		p.errorf(at("low"), where, "the range [%v, %v] is too wide: high - low must be a finite number", prm.Low, prm.High)
		return
	}
	if prm.Step > 0 {
		switch {
		case prm.Log && prm.Type == search.FloatParam:
			p.errorf(at("step"), where, "step cannot be combined with log: true; use one or the other")
			return
		case prm.Log && prm.Type == search.IntParam && prm.Step != 1:
			p.errorf(at("step"), where, "a log-scale int takes every integer; step must be 1 or absent, got %v", prm.Step)
			return
		}
		k := (prm.High - prm.Low) / prm.Step
		if k > search.MaxDiscrete {
			p.errorf(at("step"), where, "step %v is too small for the range [%v, %v]: it makes more than 1e13 values; drop the step to make the parameter continuous", prm.Step, prm.Low, prm.High)
			return
		}
		if math.Abs(k-math.Round(k)) > 1e-9*math.Max(1, k) {
			lo := prm.Low + math.Floor(k)*prm.Step
			p.errorf(at("step"), where, "step %v does not divide the range [%v, %v]; make high %v or %v, or change the step", prm.Step, prm.Low, prm.High, trimFloat(lo), trimFloat(lo+prm.Step))
			return
		}
	}
	if len(prm.Grid) > 0 && prm.Points > 0 {
		p.errorf(at("points"), where, "give grid: [...] or points: N, not both")
		return
	}
	for i, g := range prm.Grid {
		x, ok := g.Float()
		if !ok || g.Kind() == value.BoolValue {
			p.errorf(at("grid"), where, "grid value %v is not a number", g)
			continue
		}
		if prm.Type == search.IntParam && x != math.Trunc(x) {
			p.errorf(at("grid"), where, "grid value %v of an int parameter is not a whole number", g)
			continue
		}
		if x < prm.Low || x > prm.High {
			p.errorf(at("grid"), where, "grid value %v is outside [low, high] = [%v, %v]", g, prm.Low, prm.High)
		}
		if prm.Type == search.IntParam {
			prm.Grid[i] = value.Int(int64(x))
		} else {
			prm.Grid[i] = value.Float(x)
		}
	}
	if prm.Type == search.IntParam && prm.Step == 0 && !prm.Log {
		prm.Step = 1
	}
}

// domainText describes the values a parameter takes, for messages.
func domainText(prm *search.Param) string {
	switch {
	case prm.Type == search.CategoricalParam:
		s := make([]string, len(prm.Choices))
		for i, c := range prm.Choices {
			s[i] = formatValue(c)
		}
		return "one of " + strings.Join(s, ", ")
	case len(prm.Grid) > 0:
		s := make([]string, len(prm.Grid))
		for i, c := range prm.Grid {
			s[i] = formatValue(c)
		}
		return "its grid " + strings.Join(s, ", ")
	case prm.Step > 0 && !(prm.Type == search.IntParam && prm.Step == 1):
		return fmt.Sprintf("%s from %v to %v in steps of %v", prm.Type, prm.Low, prm.High, prm.Step)
	}
	return fmt.Sprintf("%s from %v to %v", prm.Type, prm.Low, prm.High)
}

func trimFloat(x float64) string { return strconv.FormatFloat(x, 'g', 12, 64) }

func (p *parser) valueList(n *yaml.Node, where, key string) []value.Value {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(posOf(n), where, "%s must be a list such as [a, b, c], got %s", key, kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(posOf(n), where, "%s is empty; list at least one value", key)
		return nil
	}
	var out []value.Value
	for _, c := range n.Content {
		v, ok := p.scalarValue(c, where+": "+key)
		if !ok {
			continue
		}
		dup := false
		for _, o := range out {
			if o.Equal(v) {
				if text := deref(c).Value; text != o.String() {
					p.errorf(posOf(deref(c)), where, "%s lists %s, the same value as %s before it; each value must appear once", key, text, formatValue(o))
				} else {
					p.errorf(posOf(deref(c)), where, "%s lists %s twice; each value must appear once", key, formatValue(v))
				}
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

// when reads a parameter's conditions; their positions go to s.
func (p *parser) when(n *yaml.Node, name, where string, s *File) []search.Condition {
	fs := p.fields(n, where+": when", nil)
	if deref(n).Kind == yaml.MappingNode && len(fs) == 0 && len(deref(n).Content) == 0 {
		p.errorf(posOf(deref(n)), where, "when: is empty; name a parent parameter and its values, e.g. when: {optimizer: momentum}")
	}
	var out []search.Condition
	for _, f := range fs {
		c := search.Condition{Parent: f.key}
		if s.pos.conditions[name] == nil {
			s.pos.conditions[name] = map[string]Pos{}
		}
		s.pos.conditions[name][f.key] = posOf(f.keyNode)
		if f.val.Kind == yaml.SequenceNode {
			c.Values = p.valueList(f.val, where, "when."+f.key)
		} else if v, ok := p.scalarValue(f.val, where+": when."+f.key); ok {
			c.Values = []value.Value{v}
		}
		if len(c.Values) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// crossCheck validates what spans parameters (search.NewSpace: conditions
// and their cycles), then the algorithm's and the trainer's own checks.
func (p *parser) crossCheck(s *File, params []search.Param) {
	space, err := search.NewSpace(params)
	if err != nil {
		errs := []error{err}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			errs = joined.Unwrap()
		}
		for _, e := range errs {
			p.addError(e, Pos{1, 1}, "parameters", s)
		}
		return
	}
	s.Space = space
	p.checkJobSize(s)
	p.checkObjectivesAlgorithm(s)
	if a, ok := search.Lookup(s.Algorithm.Name); ok && a.Validate != nil {
		for _, err := range a.Validate(space, s.Algorithm.Settings(0)) {
			p.addError(err, s.pos.algorithm, "algorithm", s)
		}
	}
	p.checkEnsemble(s)
	if t, ok := LookupTrainer(s.Trainer.Plugin); ok && t.Check != nil {
		for _, err := range t.Check(s) {
			p.addError(err, s.pos.trainer, "trainer", s)
		}
	}
}

// addError adopts an error from the space, an algorithm or a trainer
// check: an *Error keeps its own place, a *search.ParamError goes to its
// parameter's definition (or its condition on a parent), a
// *search.OptionError to its option's value when the file gives it, and
// any other error is placed at the section.
func (p *parser) addError(err error, pos Pos, where string, s *File) {
	var e *Error
	if errors.As(err, &e) {
		if e.File == "" {
			e.File = p.file
		}
		p.errs = append(p.errs, e)
		return
	}
	if pe, ok := err.(*search.ParamError); ok {
		at := s.pos.params[pe.Param]
		if c, ok := s.pos.conditions[pe.Param][pe.Parent]; ok && pe.Parent != "" {
			at = c
		}
		p.errorf(at, fmt.Sprintf("parameter %q", pe.Param), "%s", pe.Msg)
		return
	}
	if oe, ok := err.(*search.OptionError); ok {
		if at, ok := s.pos.algorithmKeys[oe.Key]; ok {
			p.errorf(at, "algorithm."+oe.Key, "%s", oe.Msg)
			return
		}
	}
	p.errorf(pos, where, "%v", err)
}

// formatValue writes a value for a message, quoting text so that "true"
// and true, or "64" and 64, read differently.
func formatValue(v value.Value) string {
	if v.Kind() == value.StringValue {
		return strconv.Quote(v.String())
	}
	return v.String()
}
