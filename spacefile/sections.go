package spacefile

import (
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"automl/internal/suggest"
	"automl/search"
	"automl/search/value"
	"automl/trial"
)

func (p *parser) objective(n *yaml.Node, s *File) {
	o, pos := p.objectiveEntry(n, "objective", "objective: {metric: val_loss, direction: minimize}")
	s.Objective, s.pos.metric = o, pos
}

// objectiveEntry reads one {metric, direction} mapping (the objective, or
// an item of objectives: at where) and the place of its metric; eg is
// the example a missing key's message shows.
func (p *parser) objectiveEntry(n *yaml.Node, where, eg string) (o trial.Objective, metricPos Pos) {
	fs := p.fields(n, where, []string{"metric", "direction"})
	if fs == nil && deref(n).Kind != yaml.MappingNode {
		return o, metricPos
	}
	got := map[string]bool{}
	for _, f := range fs {
		got[f.key] = true
		switch f.key {
		case "metric":
			if v, ok := p.str(f.val, where+".metric"); ok {
				if !nameRe.MatchString(v) {
					p.errorf(posOf(f.val), where+".metric", "%q is not a valid metric name (letters, digits, '_', '.', '-')", v)
				}
				o.Metric = v
				metricPos = posOf(f.val)
			}
		case "direction":
			v, ok := p.str(f.val, where+".direction")
			if !ok {
				continue
			}
			var d trial.Direction
			if err := d.UnmarshalText([]byte(v)); err != nil {
				p.errorf(posOf(f.val), where+".direction", "must be minimize or maximize, got %q%s", v, suggest.Hint(v, []string{"minimize", "maximize"}))
				continue
			}
			o.Direction = d
		}
	}
	for _, k := range []string{"metric", "direction"} {
		if !got[k] && !p.guessed[where+"."+k] {
			p.errorf(posOf(deref(n)), where, "missing required key %q, e.g. %s", k, eg)
		}
	}
	return o, metricPos
}

func (p *parser) budget(n *yaml.Node, s *File) {
	fs := p.fields(n, "budget", []string{"trials", "timeout", "max_resource_total", "retries", "max_lost", "max_failed", "fail_fast", "count_failed"})
	if deref(n).Kind != yaml.MappingNode {
		return
	}
	if len(fs) == 0 && len(deref(n).Content) == 0 {
		p.errorf(posOf(deref(n)), "budget", "give at least one of trials, timeout, max_resource_total")
	}
	for _, f := range fs {
		where := "budget." + f.key
		switch f.key {
		case "trials":
			if v, ok := p.integer(f.val, where); ok {
				switch {
				case v <= 0:
					p.errorf(posOf(f.val), where, "must be > 0, got %d", v)
				case v > MaxTrials:
					p.errorf(posOf(f.val), where, "must be at most %d (a billion), got %d", MaxTrials, v)
				default:
					s.Budget.Trials = int(v)
				}
			}
		case "timeout":
			if d, ok := p.duration(f.val, where); ok {
				s.Budget.Timeout = d
			}
		case "max_resource_total":
			if v, ok := p.num(f.val, where); ok {
				if v <= 0 {
					p.errorf(posOf(f.val), where, "must be > 0, got %v", v)
				} else {
					s.Budget.MaxResourceTotal = v
				}
			}
		case "retries":
			s.Budget.Retries = p.count(f.val, where, 0)
		case "max_lost":
			s.Budget.MaxLost = p.count(f.val, where, 0)
		case "max_failed":
			s.Budget.MaxFailed = p.count(f.val, where, 1)
		case "count_failed":
			s.Budget.CountFailed, _ = p.boolean(f.val, where)
		case "fail_fast":
			s.Budget.FailFast = p.failFast(f.val, where)
		}
	}
}

// failFast reads budget.fail_fast: K, a whole number >= 0 (0: off), or
// true (the default K) or false (off).
func (p *parser) failFast(n *yaml.Node, where string) *int {
	if n = deref(n); n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		on, ok := p.boolean(n, where)
		if !ok {
			return nil
		}
		k := 0
		if on {
			k = DefaultFailFast
		}
		return &k
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		p.errorf(posOf(n), where, "want a number of trials (e.g. 3), true or false, got %s", kindName(n))
		return nil
	}
	return p.count(n, where, 0)
}

// count reads a whole number >= least (a failure budget); nil when it is
// not one (the error is recorded).
func (p *parser) count(n *yaml.Node, where string, least int64) *int {
	v, ok := p.integer(n, where)
	if !ok {
		return nil
	}
	if v < least || v > math.MaxInt32 {
		p.errorf(posOf(n), where, "must be a whole number >= %d, got %d", least, v)
		return nil
	}
	c := int(v)
	return &c
}

func (p *parser) algorithm(n *yaml.Node, s *File) {
	n = deref(n)
	s.pos.algorithm = posOf(n)
	if n.Kind == yaml.ScalarNode { // `algorithm: sobol` shorthand
		if name, ok := p.str(n, "algorithm"); ok {
			s.Algorithm.Name = name
			p.checkAlgorithmName(n, name)
		}
		return
	}
	fs := p.fields(n, "algorithm", nil)
	if n.Kind != yaml.MappingNode {
		return
	}
	var nameNode *yaml.Node
	for _, f := range fs {
		if f.key == "name" {
			nameNode = f.val
		}
	}
	if nameNode == nil {
		for _, f := range fs { // the options depend on the algorithm, so only "name" can be guessed
			if suggest.Distance(strings.ToLower(f.key), "name") <= 1 {
				p.errorf(posOf(f.keyNode), "algorithm", "unknown key %q (did you mean \"name\"?); the algorithm section needs name: (one of %s)", f.key, strings.Join(search.AlgorithmNames(), ", "))
				return
			}
		}
		p.errorf(posOf(n), "algorithm", "missing required key \"name\" (one of %s)", strings.Join(search.AlgorithmNames(), ", "))
		return
	}
	name, ok := p.str(nameNode, "algorithm.name")
	if !ok {
		return
	}
	s.Algorithm.Name = name
	spec := p.checkAlgorithmName(nameNode, name)
	if spec == nil {
		return
	}
	allowed := []string{"name", "seed"}
	for k := range spec.Options {
		allowed = append(allowed, k)
	}
	sort.Strings(allowed[2:])
	s.Algorithm.Options = map[string]value.Value{}
	for _, f := range fs {
		where := "algorithm." + f.key
		switch f.key {
		case "name":
		case "seed":
			if v, ok := p.integer(f.val, where); ok {
				if v < 0 {
					p.errorf(posOf(f.val), where, "must be >= 0, got %d", v)
				} else {
					seed := uint64(v)
					s.Algorithm.Seed = &seed
				}
			}
		default:
			opt, ok := spec.Options[f.key]
			if !ok {
				p.errorf(posOf(f.keyNode), "algorithm", "unknown key %q for algorithm %s%s; allowed: %s", f.key, name, suggest.Hint(f.key, allowed), strings.Join(allowed, ", "))
				continue
			}
			if v, ok := p.option(f.val, where, opt); ok {
				s.Algorithm.Options[f.key] = v
			}
		}
	}
}

func (p *parser) checkAlgorithmName(n *yaml.Node, name string) *search.AlgorithmSpec {
	spec, ok := search.Lookup(name)
	if !ok {
		names := search.AlgorithmNames()
		p.errorf(posOf(n), "algorithm.name", "unknown algorithm %q%s; known: %s", name, suggest.Hint(name, names), strings.Join(names, ", "))
		return nil
	}
	return spec
}

func (p *parser) option(n *yaml.Node, where string, o search.Option) (value.Value, bool) {
	var v value.Value
	switch o.Kind {
	case search.OptFloat:
		x, ok := p.num(n, where)
		if !ok {
			return v, false
		}
		v = value.Float(x)
	case search.OptInt:
		x, ok := p.integer(n, where)
		if !ok {
			return v, false
		}
		v = value.Int(x)
	case search.OptBool:
		b, ok := p.boolean(n, where)
		if !ok {
			return v, false
		}
		v = value.Bool(b)
	case search.OptString:
		str, ok := p.str(n, where)
		if !ok {
			return v, false
		}
		if len(o.Choices) > 0 && !contains(o.Choices, str) {
			p.errorf(posOf(n), where, "unknown value %q%s; one of %s", str, suggest.Hint(str, o.Choices), strings.Join(o.Choices, ", "))
			return v, false
		}
		v = value.String(str)
	}
	if o.Min != nil {
		if x, ok := v.Float(); ok && x < *o.Min {
			p.errorf(posOf(n), where, "must be >= %v, got %v", *o.Min, x)
			return v, false
		}
	}
	return v, true
}

var trainerKeys = []string{"plugin", "config", "reuse", "prelaunch", "pool", "sha256", "timeout", "progress_timeout", "log_limit"}
var sha256Re = boundedRe{regexp.MustCompile(`^[0-9a-f]*$`), 64, 64}

func (p *parser) trainer(n *yaml.Node, s *File) {
	n = deref(n)
	s.pos.trainer = posOf(n)
	fs := p.fields(n, "trainer", trainerKeys)
	if n.Kind != yaml.MappingNode {
		return
	}
	hasPlugin := false
	s.pos.trainerKeys = map[string]Pos{}
	for _, f := range fs {
		where := "trainer." + f.key
		s.pos.trainerKeys[f.key] = posOf(f.val)
		switch f.key {
		case "plugin":
			hasPlugin = true
			v, ok := p.str(f.val, where)
			if !ok {
				continue
			}
			s.Trainer.Plugin = v
			if isPath(v) {
				continue
			}
			if _, ok := LookupTrainer(v); !ok {
				names := TrainerNames()
				p.errorf(posOf(f.val), where, "unknown trainer %q%s; built-in: %s, or a path to a plugin binary (./my-plugin)", v, suggest.Hint(v, names), strings.Join(names, ", "))
			}
		case "config":
			if f.val.Kind != yaml.MappingNode {
				p.errorf(posOf(f.val), where, "want a mapping of the trainer's settings, got %s", kindName(f.val))
				continue
			}
			cfg := map[string]any{}
			if err := f.val.Decode(&cfg); err != nil {
				p.errorf(posOf(f.val), where, "%v", err)
				continue
			}
			s.Trainer.Config = cfg
			s.pos.config = map[string]Pos{}
			for i := 0; i+1 < len(f.val.Content); i += 2 {
				s.pos.config[f.val.Content[i].Value] = posOf(f.val.Content[i+1])
			}
		case "reuse":
			if b, ok := p.boolean(f.val, where); ok {
				s.Trainer.Reuse = &b
			}
		case "prelaunch":
			if b, ok := p.boolean(f.val, where); ok {
				s.Trainer.Prelaunch = &b
			}
		case "pool":
			if v, ok := p.str(f.val, where); ok {
				if !poolRe.MatchString(v) {
					p.errorf(posOf(f.val), where, "%q must be 1-64 lowercase letters, digits, '-' or '_'", v)
				}
				s.Trainer.Pool = v
			}
		case "sha256":
			if v, ok := p.str(f.val, where); ok {
				if !sha256Re.MatchString(strings.ToLower(v)) {
					p.errorf(posOf(f.val), where, "want 64 hexadecimal digits (sha256sum of the plugin binary), got %q", v)
				}
				s.Trainer.SHA256 = strings.ToLower(v)
			}
		case "timeout":
			if d, ok := p.duration(f.val, where); ok {
				s.Trainer.Timeout = d
			}
		case "progress_timeout":
			if d, ok := p.duration(f.val, where); ok {
				s.Trainer.ProgressTimeout = d
			}
		case "log_limit":
			if n, ok := p.byteSize(f.val, where, MinLogLimit, MaxLogLimit); ok {
				s.Trainer.LogLimit = n
			}
		}
	}
	if !hasPlugin && !p.guessed["trainer.plugin"] {
		p.errorf(posOf(n), "trainer", "missing required key \"plugin\": a built-in trainer (%s) or a path to a plugin binary (./my-plugin)", strings.Join(TrainerNames(), ", "))
	}
}

// isPath tells a plugin binary path from a built-in trainer name.
func isPath(s string) bool {
	return strings.ContainsRune(s, filepath.Separator) || strings.ContainsRune(s, '/')
}

var (
	numericKeys     = []string{"type", "low", "high", "log", "step", "grid", "points", "when", "default"}
	categoricalKeys = []string{"type", "choices", "when", "default"}
	allParamKeys    = []string{"type", "low", "high", "log", "step", "choices", "grid", "points", "when", "default"}
	paramTypes      = []string{"float", "int", "categorical"}
	// typeSynonyms are the type names other tools use, for did-you-mean.
	typeSynonyms = map[string]string{
		"choice": "categorical", "category": "categorical", "enum": "categorical", "str": "categorical",
		"string": "categorical", "bool": "categorical", "boolean": "categorical",
		"integer": "int", "uniformint": "int", "randint": "int",
		"real": "float", "double": "float", "uniform": "float", "loguniform": "float", "number": "float",
	}
)
