package spacefile

import (
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WarmSource is one place results are imported from: a study file (its
// study named after a colon, runs/old.db:mlp) or an export that automl
// report writes, or one written by hand (a .csv or .json file).
type WarmSource struct {
	// Spec is the source as written.
	Spec string
	// Path is the file; in a space file, a relative path is taken from the
	// space file's directory.
	Path string
	// Study names the study in a study file; "" when the file holds one
	// study (or for an export).
	Study string
	// Export: a .csv or .json file (by its extension), not a study file.
	Export bool

	pos Pos
}

// WarmStart is the space file's warm_start: section: results that every
// model-based algorithm learns from before its first proposal, imported
// into the study when it starts (once: results already in the study are
// not imported again).
type WarmStart struct {
	From []WarmSource
	// Strict makes a result that does not fit the space an error; by
	// default it is skipped, and the skips are counted by reason.
	Strict bool
	pos    Pos
}

// MaxWarmSources bounds warm_start.from.
const MaxWarmSources = 100

// ParseSource reads a source as written (runs/old.db:mlp, results.csv),
// a relative path taken from dir ("" or "." for the working directory).
func ParseSource(spec, dir string) (WarmSource, error) {
	s := WarmSource{Spec: spec, Path: spec}
	ext := strings.ToLower(filepath.Ext(spec))
	if ext == ".csv" || ext == ".json" {
		s.Export = true
	} else if i := strings.LastIndex(spec, ":"); i >= 0 && !strings.ContainsAny(spec[i+1:], `/\`) {
		s.Path, s.Study = spec[:i], spec[i+1:]
		if s.Study == "" {
			return s, fmt.Errorf("%q: no study name after the colon; write FILE.db:STUDY, or FILE.db for the file's only study", spec)
		}
	}
	if s.Path == "" {
		return s, fmt.Errorf("%q: no file; write FILE.db[:STUDY], FILE.csv or FILE.json", spec)
	}
	if dir != "" && !filepath.IsAbs(s.Path) {
		s.Path = filepath.Join(dir, s.Path)
	}
	return s, nil
}

// WarmStartError makes an error about warm_start.from entry i, placed at
// it in the space file.
func (f *File) WarmStartError(i int, format string, args ...any) error {
	pos := f.WarmStart.pos
	where := "warm_start"
	if i >= 0 && i < len(f.WarmStart.From) {
		pos = f.WarmStart.From[i].pos
		where = fmt.Sprintf("warm_start.from %q", f.WarmStart.From[i].Spec)
	}
	return &Error{File: f.Path, Pos: pos, Where: where, Msg: fmt.Sprintf(format, args...)}
}

// warmStart reads warm_start: {from: [SOURCE, ...], strict: BOOL}, or the
// list of sources alone.
func (p *parser) warmStart(key, n *yaml.Node, s *File) {
	n = deref(n)
	ws := WarmStart{pos: posOf(key)}
	var from *yaml.Node
	switch n.Kind {
	case yaml.SequenceNode, yaml.ScalarNode:
		from = n
	default:
		for _, f := range p.fields(n, "warm_start", []string{"from", "strict"}) {
			switch f.key {
			case "from":
				from = f.val
			case "strict":
				ws.Strict, _ = p.boolean(f.val, "warm_start.strict")
			}
		}
		if from == nil && n.Kind == yaml.MappingNode && !p.guessed["warm_start.from"] {
			p.errorf(posOf(n), "warm_start", "missing required key \"from\", e.g. warm_start: {from: [earlier.db:mlp, results.csv]}")
		}
	}
	if from != nil {
		ws.From = p.warmSources(from, filepath.Dir(p.file))
	}
	s.WarmStart = ws
}

func (p *parser) warmSources(n *yaml.Node, dir string) []WarmSource {
	n = deref(n)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			p.errorf(posOf(n), "warm_start.from", "an empty list; name study files (earlier.db:mlp) or exports (results.csv, results.json)")
		}
		if len(items) > MaxWarmSources {
			p.errorf(posOf(n), "warm_start.from", "%d sources; at most %d", len(items), MaxWarmSources)
			return nil
		}
	}
	var out []WarmSource
	for _, it := range items {
		it = deref(it)
		spec, ok := p.str(it, "warm_start.from")
		if !ok {
			continue
		}
		src, err := ParseSource(spec, dir)
		if err != nil {
			p.errorf(posOf(it), "warm_start.from", "%v", err)
			continue
		}
		src.pos = posOf(it)
		out = append(out, src)
	}
	return out
}
