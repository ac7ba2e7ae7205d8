package search

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseFile reads and validates a space file. On failure the error is an
// ErrorList holding every mistake found, each with file:line:column.
func ParseFile(path string) (*Space, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, ErrorList{{File: path, Msg: "no such file"}}
	case err != nil:
		return nil, ErrorList{{File: path, Msg: "cannot read: " + pathErrText(err)}}
	case info.IsDir():
		return nil, ErrorList{{File: path, Msg: "is a directory, not a space file"}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrorList{{File: path, Msg: "cannot read: " + pathErrText(err)}}
	}
	return Parse(path, data)
}

// pathErrText is an I/O error without the path, which the message already names.
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse validates a space file's contents; name is used in messages and for
// the default study name.
func Parse(name string, data []byte) (s *Space, err error) {
	p := &parser{file: name, guessed: map[string]bool{}}
	defer func() {
		// A last resort: every mistake in a file is reported as an error by
		// the code above, so a panic here is a bug (ours, a registered
		// algorithm's or trainer's check, or the YAML library's). It still
		// comes back as an error rather than crashing the CLI. The fuzz test
		// turns this off so that such bugs crash and get fixed.
		if noRecover.Load() {
			return
		}
		if r := recover(); r != nil {
			s, err = nil, ErrorList{{File: name, Pos: Pos{1, 1}, Msg: fmt.Sprintf("internal error while checking the file (please report this bug): %v", r)}}
		}
	}()
	s = p.parse(data)
	if len(p.errs) > 0 {
		p.errs.sort()
		return nil, p.errs
	}
	return s, nil
}

// noRecover, when set, lets a panic in Parse through (tests only).
var noRecover atomic.Bool

type parser struct {
	file string
	errs ErrorList
	// guessed holds "where.key" for every key suggested by a did-you-mean,
	// so a misspelt required key is reported once, not also as missing.
	guessed map[string]bool
}

func (p *parser) errorf(pos Pos, where, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Pos: pos, Where: where, Msg: fmt.Sprintf(format, args...)})
}

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

var (
	studyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	nameRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,127}$`)
	yamlLn  = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
)

var topKeys = []string{"study", "description", "objective", "budget", "algorithm", "resource", "trainer", "parameters"}

func (p *parser) parse(data []byte) *Space {
	docs, err := decodeDocs(data)
	if err != nil {
		p.yamlError(data, err)
		return nil
	}
	if len(docs) == 0 {
		what := "the file is empty"
		if len(bytes.TrimSpace(data)) > 0 {
			what = "the file holds no settings, only comments or blank lines"
		}
		p.errorf(Pos{1, 1}, "", "%s; a space file needs objective, trainer and parameters (see the README's \"Space file\" section)", what)
		return nil
	}
	if len(docs) > 1 {
		p.errorf(posOf(docs[1]), "", "a second YAML document starts here; a space file is one document (remove this '---' and merge the settings)")
	}
	root := docs[0].Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(posOf(root), "", "a space file is a mapping of sections (%s), got %s", strings.Join(topKeys, ", "), kindName(root))
		return nil
	}

	s := &Space{File: p.file, Resource: "epochs", Algorithm: Algorithm{Name: "random"}}
	fields := p.fields(root, "", topKeys)
	need := map[string]bool{"objective": true, "trainer": true, "parameters": true}
	for _, f := range fields {
		delete(need, f.key)
		switch f.key {
		case "study":
			if v, ok := p.str(f.val, "study"); ok {
				if !studyRe.MatchString(v) {
					p.errorf(posOf(f.val), "study", "name %q must be 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit (it becomes part of NATS subjects)", v)
				}
				s.Study = v
			}
		case "description":
			p.str(f.val, "description")
		case "objective":
			p.objective(f.val, s)
		case "budget":
			p.budget(f.val, s)
		case "algorithm":
			p.algorithm(f.val, s)
		case "resource":
			if v, ok := p.str(f.val, "resource"); ok {
				if !nameRe.MatchString(v) {
					p.errorf(posOf(f.val), "resource", "%q is not a valid name (letters, digits, '_', '.', '-')", v)
				}
				s.Resource = v
			}
		case "trainer":
			p.trainer(f.val, s)
		case "parameters":
			p.parameters(f.val, s)
		}
	}
	for _, k := range topKeys {
		if need[k] && !p.guessed[k] {
			p.errorf(posOf(root), "", "missing required section %q%s", k, sectionHint[k])
		}
	}
	if s.Study == "" {
		s.Study = defaultStudyName(p.file)
	}
	if len(p.errs) > 0 {
		return nil
	}
	p.crossCheck(s)
	if len(p.errs) > 0 {
		return nil
	}
	return s
}

var sectionHint = map[string]string{
	"objective":  ", e.g. objective: {metric: val_loss, direction: minimize}",
	"trainer":    ", e.g. trainer: {plugin: funcs, config: {function: branin}}",
	"parameters": ", e.g. parameters: {lr: {type: float, low: 1.0e-4, high: 0.1, log: true}}",
}

// decodeDocs reads every YAML document of data, leaving out empty ones (a
// trailing '---', a document of comments).
func decodeDocs(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		doc := new(yaml.Node)
		err := dec.Decode(doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if len(doc.Content) == 0 {
			continue
		}
		if c := doc.Content[0]; c.Kind == yaml.ScalarNode && c.Tag == "!!null" && c.Value == "" {
			continue
		}
		docs = append(docs, doc)
	}
}

// yamlError reports a syntax error. The YAML library's line numbers point
// at the start of the enclosing block, not at the mistake (a bad indent on
// line 5 is reported as "line 1"), so the line is found again as the first
// line at which the file, cut after it, fails with the same message.
func (p *parser) yamlError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLn.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	lines := strings.SplitAfter(string(data), "\n")
	if l := failingLine(lines, msg); l > 0 {
		line = l
	}
	line = max(1, min(line, len(lines)))
	text := strings.TrimRight(lines[line-1], "\r\n")
	col := len(text) - len(strings.TrimLeft(text, " ")) + 1
	hint := ""
	if strings.HasPrefix(strings.TrimLeft(text, " "), "\t") {
		hint = "; this line is indented with a tab, and YAML indents with spaces only"
	} else {
		for _, h := range yamlHints {
			if strings.Contains(msg, h.match) {
				hint = h.hint
				break
			}
		}
	}
	p.errorf(Pos{line, col}, "", "malformed YAML: %s%s", msg, hint)
}

// maxScanLines bounds the search for a syntax error's line (a space file is
// a few dozen lines; each step re-reads a prefix of the file).
const maxScanLines = 1000

// failingLine returns the first line n such that lines[:n] fails to decode
// with msg, or 0 when none does.
func failingLine(lines []string, msg string) int {
	if len(lines) > maxScanLines {
		return 0
	}
	var prefix strings.Builder
	for i, l := range lines {
		prefix.WriteString(l)
		_, err := decodeDocs([]byte(prefix.String()))
		if err == nil {
			continue
		}
		m := strings.TrimPrefix(err.Error(), "yaml: ")
		if sm := yamlLn.FindStringSubmatch(m); sm != nil {
			m = sm[2]
		}
		if m == msg {
			return i + 1
		}
	}
	return 0
}

// yamlHints add what to do to the YAML library's terse messages.
var yamlHints = []struct{ match, hint string }{
	{"did not find expected key", "; check this line's indentation against the lines above"},
	{"did not find expected ',' or ']'", "; a [ list is not closed, or two items lack a comma between them"},
	{"did not find expected ',' or '}'", "; a { mapping is not closed, or two entries lack a comma between them"},
	{"mapping values are not allowed in this context", "; quote a value that holds ': ', or check this line's indentation"},
	{"found unexpected end of stream", "; a quote or bracket opened here is never closed"},
	{"could not find expected ':'", "; a key needs ': ' after it"},
	{"did not find expected '-' indicator", "; list items need '- ' at the same indentation as the others"},
}

// defaultStudyName derives a valid study name from the file name.
func defaultStudyName(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	n := strings.Trim(b.String(), "-_")
	if n == "" {
		n = "study"
	}
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

type field struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// fields walks a mapping, reporting duplicated keys and keys not in allowed
// (with a did-you-mean). allowed == nil accepts any key.
func (p *parser) fields(n *yaml.Node, where string, allowed []string) []field {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(posOf(n), where, "want a mapping (key: value), got %s", kindName(n))
		return nil
	}
	seen := map[string]Pos{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(posOf(k), where, "a key must be a plain word, got %s", kindName(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.errorf(posOf(k), joinWhere(where, k.Value), "duplicate key (first at line %d)", prev.Line)
			continue
		}
		seen[k.Value] = posOf(k)
		if allowed != nil && !contains(allowed, k.Value) {
			hint := ""
			if s := didYouMean(k.Value, allowed); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
				p.guessed[joinWhere(where, s)] = true
			}
			p.errorf(posOf(k), where, "unknown key %q%s; allowed: %s", k.Value, hint, strings.Join(allowed, ", "))
			continue
		}
		out = append(out, field{key: k.Value, keyNode: k, val: v})
	}
	return out
}

func joinWhere(where, key string) string {
	if where == "" {
		return key
	}
	return where + "." + key
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func (p *parser) str(n *yaml.Node, where string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		p.errorf(posOf(n), where, "want a text value, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) num(n *yaml.Node, where string) (float64, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float" || (n.Tag == "!!str" && n.Style == 0)) {
		text := strings.ReplaceAll(n.Value, "_", "")
		if n.Tag == "!!int" { // 0x1F, 0o17, 0b101 as the YAML library reads them
			if i, err := strconv.ParseInt(text, 0, 64); err == nil {
				return float64(i), true
			}
		}
		if x, err := strconv.ParseFloat(text, 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return x, true
		}
	}
	p.errorf(posOf(n), where, "want a finite number, got %s", kindName(n))
	return 0, false
}

func (p *parser) integer(n *yaml.Node, where string) (int64, bool) {
	x, ok := p.num(n, where)
	if !ok {
		return 0, false
	}
	if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		p.errorf(posOf(n), where, "want a whole number, got %s", n.Value)
		return 0, false
	}
	return int64(x), true
}

func (p *parser) boolean(n *yaml.Node, where string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	p.errorf(posOf(n), where, "want true or false, got %s", kindName(n))
	return false, false
}

func (p *parser) duration(n *yaml.Node, where string) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode {
		if d, err := time.ParseDuration(n.Value); err == nil {
			if d <= 0 {
				p.errorf(posOf(n), where, "must be > 0, got %s", n.Value)
				return 0, false
			}
			return d, true
		}
	}
	p.errorf(posOf(n), where, "want a duration such as 90s, 30m or 2h, got %s", kindName(n))
	return 0, false
}

// scalarValue converts a YAML scalar to a Value (number, string or bool).
func (p *parser) scalarValue(n *yaml.Node, where string) (Value, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(posOf(n), where, "want a number, text or true/false, got %s", kindName(n))
		return Value{}, false
	}
	switch n.Tag {
	case "!!bool":
		var b bool
		_ = n.Decode(&b)
		return Bool(b), true
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return Int(i), true
		}
		if x, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsInf(x, 0) {
			return Float(x), true
		}
		p.errorf(posOf(n), where, "want a whole number, got %s", n.Value)
		return Value{}, false
	case "!!float":
		if x, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return Float(x), true
		}
		p.errorf(posOf(n), where, "want a finite number, got %s", n.Value)
		return Value{}, false
	}
	return String(n.Value), true
}

func (p *parser) objective(n *yaml.Node, s *Space) {
	fs := p.fields(n, "objective", []string{"metric", "direction"})
	if fs == nil && deref(n).Kind != yaml.MappingNode {
		return
	}
	got := map[string]bool{}
	for _, f := range fs {
		got[f.key] = true
		switch f.key {
		case "metric":
			if v, ok := p.str(f.val, "objective.metric"); ok {
				if !nameRe.MatchString(v) {
					p.errorf(posOf(f.val), "objective.metric", "%q is not a valid metric name (letters, digits, '_', '.', '-')", v)
				}
				s.Objective.Metric = v
				s.MetricPos = posOf(f.val)
			}
		case "direction":
			v, ok := p.str(f.val, "objective.direction")
			if !ok {
				continue
			}
			switch v {
			case "minimize":
				s.Objective.Direction = Minimize
			case "maximize":
				s.Objective.Direction = Maximize
			default:
				hint := ""
				if h := didYouMean(v, []string{"minimize", "maximize"}); h != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", h)
				}
				p.errorf(posOf(f.val), "objective.direction", "must be minimize or maximize, got %q%s", v, hint)
			}
		}
	}
	for _, k := range []string{"metric", "direction"} {
		if !got[k] && !p.guessed["objective."+k] {
			p.errorf(posOf(deref(n)), "objective", "missing required key %q, e.g. objective: {metric: val_loss, direction: minimize}", k)
		}
	}
}

func (p *parser) budget(n *yaml.Node, s *Space) {
	fs := p.fields(n, "budget", []string{"trials", "timeout", "max_resource_total", "retries", "max_lost", "max_failed"})
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
				if v <= 0 {
					p.errorf(posOf(f.val), where, "must be > 0, got %d", v)
				} else {
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
		}
	}
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

func (p *parser) algorithm(n *yaml.Node, s *Space) {
	n = deref(n)
	s.Algorithm.Pos = posOf(n)
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
			if editDistance(strings.ToLower(f.key), "name") <= 1 {
				p.errorf(posOf(f.keyNode), "algorithm", "unknown key %q (did you mean \"name\"?); the algorithm section needs name: (one of %s)", f.key, strings.Join(AlgorithmNames(), ", "))
				return
			}
		}
		p.errorf(posOf(n), "algorithm", "missing required key \"name\" (one of %s)", strings.Join(AlgorithmNames(), ", "))
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
	sortStrings(allowed[2:])
	s.Algorithm.Options = map[string]Value{}
	for _, f := range fs {
		where := "algorithm." + f.key
		switch f.key {
		case "name":
		case "seed":
			if v, ok := p.integer(f.val, where); ok {
				if v < 0 {
					p.errorf(posOf(f.val), where, "must be >= 0, got %d", v)
				} else {
					s.Algorithm.Seed, s.Algorithm.HasSeed = uint64(v), true
				}
			}
		default:
			opt, ok := spec.Options[f.key]
			if !ok {
				hint := ""
				if h := didYouMean(f.key, allowed); h != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", h)
				}
				p.errorf(posOf(f.keyNode), "algorithm", "unknown key %q for algorithm %s%s; allowed: %s", f.key, name, hint, strings.Join(allowed, ", "))
				continue
			}
			if v, ok := p.option(f.val, where, opt); ok {
				s.Algorithm.Options[f.key] = v
			}
		}
	}
}

func (p *parser) checkAlgorithmName(n *yaml.Node, name string) *AlgorithmSpec {
	spec, ok := Lookup(name)
	if !ok {
		hint := ""
		if h := didYouMean(name, AlgorithmNames()); h != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", h)
		}
		p.errorf(posOf(n), "algorithm.name", "unknown algorithm %q%s; known: %s", name, hint, strings.Join(AlgorithmNames(), ", "))
		return nil
	}
	return spec
}

func (p *parser) option(n *yaml.Node, where string, o Option) (Value, bool) {
	var v Value
	switch o.Kind {
	case OptFloat:
		x, ok := p.num(n, where)
		if !ok {
			return v, false
		}
		v = Float(x)
	case OptInt:
		x, ok := p.integer(n, where)
		if !ok {
			return v, false
		}
		v = Int(x)
	case OptBool:
		b, ok := p.boolean(n, where)
		if !ok {
			return v, false
		}
		v = Bool(b)
	case OptString:
		str, ok := p.str(n, where)
		if !ok {
			return v, false
		}
		if len(o.Choices) > 0 && !contains(o.Choices, str) {
			hint := ""
			if h := didYouMean(str, o.Choices); h != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", h)
			}
			p.errorf(posOf(n), where, "unknown value %q%s; one of %s", str, hint, strings.Join(o.Choices, ", "))
			return v, false
		}
		v = String(str)
	}
	if o.HasMin {
		if x, ok := v.Float(); ok && x < o.Min {
			p.errorf(posOf(n), where, "must be >= %v, got %v", o.Min, x)
			return v, false
		}
	}
	return v, true
}

var trainerKeys = []string{"plugin", "config", "reuse", "prelaunch", "pool", "sha256", "timeout"}
var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (p *parser) trainer(n *yaml.Node, s *Space) {
	n = deref(n)
	s.Trainer.Pos = posOf(n)
	fs := p.fields(n, "trainer", trainerKeys)
	if n.Kind != yaml.MappingNode {
		return
	}
	hasPlugin := false
	for _, f := range fs {
		where := "trainer." + f.key
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
				hint := ""
				if h := didYouMean(v, TrainerNames()); h != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", h)
				}
				p.errorf(posOf(f.val), where, "unknown trainer %q%s; built-in: %s, or a path to a plugin binary (./my-plugin)", v, hint, strings.Join(TrainerNames(), ", "))
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
			s.Trainer.ConfigPos = map[string]Pos{}
			for i := 0; i+1 < len(f.val.Content); i += 2 {
				s.Trainer.ConfigPos[f.val.Content[i].Value] = posOf(f.val.Content[i+1])
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
				if !studyRe.MatchString(v) {
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
	numericKeys     = []string{"type", "low", "high", "log", "step", "grid", "points", "when"}
	categoricalKeys = []string{"type", "choices", "when"}
	allParamKeys    = []string{"type", "low", "high", "log", "step", "choices", "grid", "points", "when"}
	paramTypes      = []string{"float", "int", "categorical"}
	// typeSynonyms are the type names other tools use, for did-you-mean.
	typeSynonyms = map[string]string{
		"choice": "categorical", "category": "categorical", "enum": "categorical", "str": "categorical",
		"string": "categorical", "bool": "categorical", "boolean": "categorical",
		"integer": "int", "uniformint": "int", "randint": "int",
		"real": "float", "double": "float", "uniform": "float", "loguniform": "float", "number": "float",
	}
)

func (p *parser) parameters(n *yaml.Node, s *Space) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(posOf(n), "parameters", "want a mapping of parameter names to definitions, got %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		p.errorf(posOf(n), "parameters", "no parameters: define at least one, e.g. lr: {type: float, low: 1.0e-4, high: 0.1, log: true}")
		return
	}
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
		if prm, ok := p.param(name, k, v, where); ok {
			s.Params = append(s.Params, prm)
		}
	}
}

func (p *parser) param(name string, k, n *yaml.Node, where string) (Param, bool) {
	prm := Param{Name: name, Pos: posOf(k)}
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
			prm.Type, allowed = FloatParam, numericKeys
		case "int":
			prm.Type, allowed = IntParam, numericKeys
		case "categorical":
			prm.Type, allowed = CategoricalParam, categoricalKeys
		default:
			hint := ""
			if h := didYouMean(t, paramTypes); h != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", h)
			} else if h, ok := typeSynonyms[strings.ToLower(t)]; ok {
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
			if prm.Type == IntParam && x != math.Trunc(x) {
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
				if v < 2 {
					p.errorf(posOf(f.val), where, "points must be >= 2, got %d", v)
					continue
				}
				prm.Points = int(v)
			}
		case "choices":
			prm.Choices = p.valueList(f.val, where, "choices")
		case "grid":
			prm.Grid = p.valueList(f.val, where, "grid")
		case "when":
			prm.When = p.when(f.val, where)
		}
	}
	if len(p.errs) > before {
		return prm, false
	}
	switch prm.Type {
	case FloatParam, IntParam:
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
	case CategoricalParam:
		if got["choices"] == nil {
			p.errorf(posOf(n), where, "missing required key \"choices\", e.g. choices: [adam, sgd]")
		}
	}
	return prm, len(p.errs) == before
}

// fieldsFor is fields() with a clearer message for a key that belongs to
// another parameter type (low on a categorical, choices on a float).
func (p *parser) fieldsFor(n *yaml.Node, where string, allowed []string, t ParamType) []field {
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

func (p *parser) checkRange(prm *Param, got map[string]*yaml.Node, where string) {
	at := func(key string) Pos { return posOf(got[key]) }
	if prm.Low >= prm.High {
		p.errorf(at("low"), where, "low must be below high, got low %v >= high %v", prm.Low, prm.High)
		return
	}
	if prm.Log && prm.Low <= 0 {
		p.errorf(at("low"), where, "log scale needs low > 0, got %v", prm.Low)
		return
	}
	// Past maxDiscrete the unit-cube transform can no longer tell one
	// integer from the next, and a range wider than the largest float
	// cannot be sampled at all.
	if prm.Type == IntParam && (math.Abs(prm.Low) > maxDiscrete || math.Abs(prm.High) > maxDiscrete) {
		p.errorf(at("low"), where, "int bounds must lie within -1e13 and 1e13, got [%v, %v]", prm.Low, prm.High)
		return
	}
	if math.IsInf(prm.High-prm.Low, 0) {
		p.errorf(at("low"), where, "the range [%v, %v] is too wide: high - low must be a finite number", prm.Low, prm.High)
		return
	}
	if prm.Step > 0 {
		switch {
		case prm.Log && prm.Type == FloatParam:
			p.errorf(at("step"), where, "step cannot be combined with log: true; use one or the other")
			return
		case prm.Log && prm.Type == IntParam && prm.Step != 1:
			p.errorf(at("step"), where, "a log-scale int takes every integer; step must be 1 or absent, got %v", prm.Step)
			return
		}
		k := (prm.High - prm.Low) / prm.Step
		if k > maxDiscrete {
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
		if !ok || g.kind == BoolValue {
			p.errorf(at("grid"), where, "grid value %v is not a number", g)
			continue
		}
		if prm.Type == IntParam && x != math.Trunc(x) {
			p.errorf(at("grid"), where, "grid value %v of an int parameter is not a whole number", g)
			continue
		}
		if x < prm.Low || x > prm.High {
			p.errorf(at("grid"), where, "grid value %v is outside [low, high] = [%v, %v]", g, prm.Low, prm.High)
		}
		if prm.Type == IntParam {
			prm.Grid[i] = Int(int64(x))
		} else {
			prm.Grid[i] = Float(x)
		}
	}
	if prm.Type == IntParam && prm.Step == 0 && !prm.Log {
		prm.Step = 1
	}
}

// maxDiscrete bounds int parameters and the number of values of a stepped
// float: up to it, Decode(Encode(x)) == x holds exactly for every value
// (log-scale ints lose it a little above 2^47, linear ones above 2^51).
const maxDiscrete = 1e13

func trimFloat(x float64) string { return strconv.FormatFloat(x, 'g', 12, 64) }

func (p *parser) valueList(n *yaml.Node, where, key string) []Value {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(posOf(n), where, "%s must be a list such as [a, b, c], got %s", key, kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(posOf(n), where, "%s is empty; list at least one value", key)
		return nil
	}
	var out []Value
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

func (p *parser) when(n *yaml.Node, where string) []Condition {
	fs := p.fields(n, where+": when", nil)
	if deref(n).Kind == yaml.MappingNode && len(fs) == 0 && len(deref(n).Content) == 0 {
		p.errorf(posOf(deref(n)), where, "when: is empty; name a parent parameter and its values, e.g. when: {optimizer: momentum}")
	}
	var out []Condition
	for _, f := range fs {
		c := Condition{Parent: f.key, Pos: posOf(f.keyNode)}
		if f.val.Kind == yaml.SequenceNode {
			c.Values = p.valueList(f.val, where, "when."+f.key)
		} else if v, ok := p.scalarValue(f.val, where+": when."+f.key); ok {
			c.Values = []Value{v}
		}
		if len(c.Values) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// crossCheck validates what spans parameters: conditions, then the
// algorithm's and the trainer's own checks.
func (p *parser) crossCheck(s *Space) {
	s.index = make(map[string]int, len(s.Params))
	names := make([]string, len(s.Params))
	for i, prm := range s.Params {
		s.index[prm.Name] = i
		names[i] = prm.Name
	}
	for i := range s.Params {
		prm := &s.Params[i]
		where := fmt.Sprintf("parameter %q", prm.Name)
		for _, c := range prm.When {
			j, ok := s.index[c.Parent]
			if !ok {
				hint := ""
				if h := didYouMean(c.Parent, names); h != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", h)
				}
				p.errorf(c.Pos, where, "when: names parameter %q, which is not defined%s", c.Parent, hint)
				continue
			}
			if j == i {
				p.errorf(c.Pos, where, "when: names the parameter itself; a parameter cannot be conditional on its own value")
				continue
			}
			parent := &s.Params[j]
			// Only a grid makes a float's values exact: a stepped value
			// (low + k*step) need not equal the number written in when:.
			if parent.Type == FloatParam && len(parent.Grid) == 0 {
				p.errorf(c.Pos, where, "when: parent %q is a float, whose values are not exact; condition on a categorical or int parameter (or give %q a grid: [...])", c.Parent, c.Parent)
				continue
			}
			for _, v := range c.Values {
				if !canTake(parent, v) {
					p.errorf(c.Pos, where, "when: %s = %s can never hold: %s", c.Parent, formatValue(v), describeDomain(parent))
				}
			}
		}
	}
	if len(p.errs) > 0 {
		return
	}
	order, cycle := topoOrder(s)
	if cycle != nil {
		prm := &s.Params[cycle[0]]
		path := make([]string, len(cycle))
		for i, j := range cycle {
			path[i] = s.Params[j].Name
		}
		p.errorf(prm.Pos, fmt.Sprintf("parameter %q", prm.Name), "conditions form a cycle: %s -> %s (each one's when: names the next), so none of them can ever be active; remove one of these conditions", strings.Join(path, " -> "), path[0])
		return
	}
	s.order = order
	if a, ok := Lookup(s.Algorithm.Name); ok && a.Validate != nil {
		for _, err := range a.Validate(s) {
			p.addError(err, s.Algorithm.Pos, "algorithm")
		}
	}
	if t, ok := LookupTrainer(s.Trainer.Plugin); ok && t.Check != nil {
		for _, err := range t.Check(s) {
			p.addError(err, s.Trainer.Pos, "trainer")
		}
	}
}

// addError adopts an error from an algorithm or trainer check; an *Error
// keeps its own place, any other error is placed at the section.
func (p *parser) addError(err error, pos Pos, where string) {
	var e *Error
	if errors.As(err, &e) {
		if e.File == "" {
			e.File = p.file
		}
		p.errs = append(p.errs, e)
		return
	}
	p.errorf(pos, where, "%v", err)
}

// canTake reports whether a condition on prm can hold for v: v is one of
// the values Decode can give prm (a grid restricts a number parameter).
func canTake(prm *Param, v Value) bool {
	if prm.Type != CategoricalParam && len(prm.Grid) > 0 {
		for _, g := range prm.Grid {
			if g.Equal(v) {
				return true
			}
		}
		return false
	}
	return prm.Contains(v)
}

func describeDomain(prm *Param) string {
	switch {
	case prm.Type == CategoricalParam:
		return fmt.Sprintf("%q takes one of %s", prm.Name, formatValues(prm.Choices))
	case len(prm.Grid) > 0:
		return fmt.Sprintf("%q takes one of %s", prm.Name, formatValues(prm.Grid))
	case prm.Type == IntParam && prm.step() == 1:
		return fmt.Sprintf("%q takes the whole numbers %v to %v", prm.Name, prm.Low, prm.High)
	case prm.Step > 0:
		return fmt.Sprintf("%q takes %v to %v in steps of %v", prm.Name, prm.Low, prm.High, prm.Step)
	}
	return fmt.Sprintf("%q takes values in [%v, %v]", prm.Name, prm.Low, prm.High)
}

// topoOrder orders parameters parents-first, keeping file order where it
// can; it returns a cycle (as parameter indices) when there is one.
func topoOrder(s *Space) ([]int, []int) {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(s.Params))
	var order, stack []int
	var cycle []int
	var visit func(i int) bool
	visit = func(i int) bool {
		color[i] = grey
		stack = append(stack, i)
		for _, c := range s.Params[i].When {
			j := s.index[c.Parent]
			switch color[j] {
			case grey:
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == j {
						cycle = append([]int(nil), stack[k:]...)
						break
					}
				}
				return false
			case white:
				if !visit(j) {
					return false
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		order = append(order, i)
		return true
	}
	for i := range s.Params {
		if color[i] == white && !visit(i) {
			return nil, cycle
		}
	}
	return order, nil
}
