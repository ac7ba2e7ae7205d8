package spacefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"automl/internal/bytesize"
	"automl/internal/studyname"
	"automl/internal/suggest"
	"automl/search"
	"automl/search/value"
)

// ParseFile reads and validates a space file. On failure the error is an
// ErrorList holding every mistake found, each with file:line:column.
func ParseFile(path string) (*File, error) {
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
func Parse(name string, data []byte) (f *File, err error) {
	return parse(&parser{file: name, guessed: map[string]bool{}}, data)
}

func parse(p *parser, data []byte) (f *File, err error) {
	name := p.file
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
			f, err = nil, ErrorList{{File: name, Pos: Pos{1, 1}, Msg: fmt.Sprintf("internal error while checking the file (please report this bug): %v", r)}}
		}
	}()
	f = p.parse(data)
	if len(p.errs) > 0 {
		p.errs.sort()
		return nil, p.errs
	}
	f.Text, f.OwnTrainer = data, p.ownTrainer
	return f, nil
}

// ParseWithoutTrainer is Parse for programs that train the trials
// themselves (the ask-and-tell API, package study): the trainer section is
// optional.
func ParseWithoutTrainer(name string, data []byte) (*File, error) {
	return parse(&parser{file: name, guessed: map[string]bool{}, ownTrainer: true}, data)
}

// noRecover, when set, lets a panic in Parse through (tests only).
var noRecover atomic.Bool

type parser struct {
	file string
	errs ErrorList
	// guessed holds "where.key" for every key suggested by a did-you-mean,
	// so a misspelt required key is reported once, not also as missing.
	guessed map[string]bool
	// ownTrainer: the program trains the trials itself (ParseWithoutTrainer).
	ownTrainer bool
}

func (p *parser) errorf(pos Pos, where, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Pos: pos, Where: where, Msg: fmt.Sprintf(format, args...)})
}

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

var (
	poolRe = boundedRe{regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`), 1, 64}
	nameRe = boundedRe{regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`), 1, 128}
	yamlLn = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
)

// boundedRe is a pattern of ASCII classes with its length checked apart:
// a bounded repetition ({0,127}) compiles to that many copies of the
// class, which every automl process paid at start-up (1.5 ms and 190 KB
// for these three patterns on a loaded machine; bench/startup).
type boundedRe struct {
	re       *regexp.Regexp
	min, max int // bytes
}

func (b boundedRe) MatchString(s string) bool {
	return len(s) >= b.min && len(s) <= b.max && b.re.MatchString(s)
}

var topKeys = []string{"study", "description", "objective", "objectives", "constraints", "budget", "algorithm", "resource", "trainer", "parameters", "enqueue", "warm_start", "keep_models", "ensemble"}

func (p *parser) parse(data []byte) *File {
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

	s := &File{Path: p.file, Resource: "epochs", Algorithm: Algorithm{Name: "random"}, KeepModels: DefaultKeepModels}
	fields := p.fields(root, "", topKeys)
	var params []search.Param
	var enqueue *yaml.Node
	need := map[string]bool{"objective": true, "trainer": !p.ownTrainer, "parameters": true}
	for _, f := range fields {
		delete(need, f.key)
		switch f.key {
		case "study":
			if v, ok := p.str(f.val, "study"); ok {
				v = studyname.Normal(v) // "über" typed decomposed is the same study
				if err := studyname.Check(v); err != nil {
					p.errorf(posOf(f.val), "study", "name %q %v; a study name is %s%s", v, err, studyname.Rule, suggestName(v))
				}
				s.Study = v
			}
		case "description":
			s.Description, _ = p.str(f.val, "description")
		case "objective":
			p.objective(f.val, s)
		case "objectives":
			delete(need, "objective")
			p.objectives(f.keyNode, f.val, s)
		case "constraints":
			p.constraints(f.val, s)
		case "budget":
			s.pos.budget = posOf(f.keyNode)
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
			params = p.parameters(f.val, s)
		case "enqueue":
			enqueue = f.val
		case "warm_start":
			p.warmStart(f.keyNode, f.val, s)
		case "keep_models":
			p.keepModels(f.val, s)
		case "ensemble":
			p.ensemble(f.keyNode, f.val, s)
		}
	}
	if one, many := seen(fields, "objective"), seen(fields, "objectives"); one != nil && many != nil {
		p.errorf(posOf(many.keyNode), "objectives", "give objective: (one) or objectives: (a list of 2 or more), not both; objective: is at line %d", one.keyNode.Line)
	}
	for _, k := range topKeys {
		if need[k] && !p.guessed[k] && !(k == "objective" && p.guessed["objectives"]) {
			p.errorf(posOf(root), "", "missing required section %q%s", k, sectionHint[k])
		}
	}
	if s.Study == "" {
		s.Study = studyname.FromFile(p.file)
	}
	if len(p.errs) > 0 {
		return nil
	}
	p.crossCheck(s, params)
	if enqueue != nil && len(p.errs) == 0 {
		p.enqueue(enqueue, s)
	}
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

// suggestName is ` (did you mean "x"?)` for a name that has a valid
// form, or "".
func suggestName(name string) string {
	if n := studyname.Suggest(name); n != "" && n != name {
		return fmt.Sprintf(" (did you mean %q?)", n)
	}
	return ""
}

// seen returns the field of that key, or nil.
func seen(fs []field, key string) *field {
	for i := range fs {
		if fs[i].key == key {
			return &fs[i]
		}
	}
	return nil
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
			if s := suggest.Closest(k.Value, allowed); s != "" {
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

// keepModels reads keep_models: K, a whole number >= 0 (at most
// MaxTrials), or all.
func (p *parser) keepModels(n *yaml.Node, s *File) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Value == "all" {
		s.KeepModels = KeepAllModels
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		p.errorf(posOf(n), "keep_models", "want a whole number >= 0 (the best K completed trials keep their model file) or all, got %q", n.Value)
		return
	}
	v, ok := p.integer(n, "keep_models")
	switch {
	case !ok:
	case v < 0:
		p.errorf(posOf(n), "keep_models", "must be >= 0 (0 keeps no model file) or all, got %d", v)
	case v > MaxTrials:
		p.errorf(posOf(n), "keep_models", "must be at most %d or all, got %d", MaxTrials, v)
	default:
		s.KeepModels = int(v)
	}
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
			switch {
			case d <= 0:
				p.errorf(posOf(n), where, "must be > 0, got %s", n.Value)
				return 0, false
			case d > MaxTimeout:
				p.errorf(posOf(n), where, "must be at most %dh (a year), got %s", int(MaxTimeout.Hours()), n.Value)
				return 0, false
			}
			return d, true
		}
	}
	p.errorf(posOf(n), where, "want a duration such as 90s, 30m or 2h, got %s", kindName(n))
	return 0, false
}

// byteSize reads a size: a number of bytes, or one with a unit (512KiB,
// 2MiB; see package bytesize), between lo and hi.
func (p *parser) byteSize(n *yaml.Node, where string, lo, hi int64) (int64, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" && n.Tag != "!!bool" {
		b, err := bytesize.Parse(n.Value)
		if err != nil {
			p.errorf(posOf(n), where, "%v", err)
			return 0, false
		}
		if b < lo || b > hi {
			p.errorf(posOf(n), where, "must be %s to %s, got %s", bytesize.Format(lo), bytesize.Format(hi), bytesize.Format(b))
			return 0, false
		}
		return b, true
	}
	p.errorf(posOf(n), where, "want a size such as 1MiB or 512KiB, got %s", kindName(n))
	return 0, false
}

// scalarValue converts a YAML scalar to a Value (number, string or bool).
func (p *parser) scalarValue(n *yaml.Node, where string) (value.Value, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(posOf(n), where, "want a number, text or true/false, got %s", kindName(n))
		return value.Value{}, false
	}
	switch n.Tag {
	case "!!bool":
		var b bool
		_ = n.Decode(&b)
		return value.Bool(b), true
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return value.Int(i), true
		}
		if x, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsInf(x, 0) {
			return value.Float(x), true
		}
		p.errorf(posOf(n), where, "want a whole number, got %s", n.Value)
		return value.Value{}, false
	case "!!float":
		if x, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return value.Float(x), true
		}
		p.errorf(posOf(n), where, "want a finite number, got %s", n.Value)
		return value.Value{}, false
	}
	return value.String(n.Value), true
}
