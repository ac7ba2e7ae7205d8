package spacefile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"automl/internal/suggest"
	"automl/search"
	"automl/search/value"
)

// Point is a configuration a user gave to run (the space file's enqueue:,
// automl enqueue -f FILE): its values, checked against the space, with the
// defaults of the parameters it left out filled in and the parameters its
// conditions leave inactive absent; Source says where it was written
// (points.csv:3).
type Point struct {
	Values value.Values
	Source string
}

// MaxPoints bounds the configurations one file (or the space file's
// enqueue:) gives, and the queue of a study: they wait in the study's
// record, which every commit writes.
const MaxPoints = 1000

// ReadPoints reads configurations to enqueue from a points file: CSV (by
// its extension .csv; a header row of parameter names, one configuration
// per row, an empty cell for a parameter left out) or YAML/JSON (a list
// of mappings of parameter names to values). Every mistake is reported,
// with the file and line (and column, for YAML) and the parameter: an
// unknown parameter, a value of the wrong type or outside the space, a
// parameter left out that has no default.
func (f *File) ReadPoints(name string, data []byte) ([]Point, error) {
	p := &parser{file: name, guessed: map[string]bool{}}
	var pts []Point
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		pts = p.csvPoints(f.Space, data)
	} else {
		pts = p.yamlPoints(f.Space, data)
	}
	if len(p.errs) > 0 {
		p.errs.sort()
		return nil, p.errs
	}
	if len(pts) == 0 {
		return nil, ErrorList{{File: name, Msg: "no configurations in the file"}}
	}
	return pts, nil
}

func (p *parser) yamlPoints(space *search.Space, data []byte) []Point {
	docs, err := decodeDocs(data)
	if err != nil {
		p.yamlError(data, err)
		return nil
	}
	if len(docs) == 0 {
		return nil
	}
	if len(docs) != 1 {
		p.errorf(Pos{1, 1}, "", "want one list of configurations, e.g. - {x: 1, y: adam}")
		return nil
	}
	return p.pointList(space, docs[0].Content[0], "")
}

// enqueue reads the space file's enqueue: list (its space is built).
func (p *parser) enqueue(n *yaml.Node, s *File) {
	s.Enqueue = p.pointList(s.Space, n, "enqueue")
}

// pointList reads a list of configurations, each a mapping of parameter
// names to values.
func (p *parser) pointList(space *search.Space, n *yaml.Node, where string) []Point {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(posOf(n), where, "want a list of configurations, e.g. - {x: 1, y: adam}, got %s", kindName(n))
		return nil
	}
	if len(n.Content) > MaxPoints {
		p.errorf(posOf(n), where, "%d configurations; at most %d at a time", len(n.Content), MaxPoints)
		return nil
	}
	var out []Point
	for i, item := range n.Content {
		item = deref(item)
		at := fmt.Sprintf("configuration %d", i+1)
		if where != "" {
			at = where + ": " + at
		}
		if item.Kind != yaml.MappingNode {
			p.errorf(posOf(item), at, "want a mapping of parameter names to values, e.g. {x: 1, y: adam}, got %s", kindName(item))
			continue
		}
		given := map[string]value.Value{}
		place := map[string]Pos{}
		for _, fl := range p.fields(item, at, nil) {
			if space.Index(fl.key) < 0 {
				p.errorf(posOf(fl.keyNode), at, "unknown parameter %q%s", fl.key, paramHint(space, fl.key))
				continue
			}
			v, ok := p.scalarValue(fl.val, fmt.Sprintf("%s: parameter %q", at, fl.key))
			if !ok {
				continue
			}
			given[fl.key], place[fl.key] = v, posOf(fl.val)
		}
		if pt, ok := p.complete(space, given, place, posOf(item), at); ok {
			pt.Source = fmt.Sprintf("%s:%d", p.file, item.Line)
			out = append(out, pt)
		}
	}
	return out
}

func (p *parser) csvPoints(space *search.Space, data []byte) []Point {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		p.csvError(err)
		return nil
	}
	cols := make([]*search.Param, len(header))
	bad := false
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		prm, ok := space.Param(h)
		if !ok {
			p.errorf(Pos{1, i + 1}, "", "column %d, %q, is not a parameter of the space%s", i+1, h, paramHint(space, h))
			bad = true
		}
		cols[i] = prm
	}
	if bad {
		return nil
	}
	var out []Point
	for row := 1; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.csvError(err)
			return nil
		}
		line, _ := r.FieldPos(0)
		if row > MaxPoints {
			p.errorf(Pos{line, 1}, "", "more than %d configurations; at most %d at a time", MaxPoints, MaxPoints)
			return nil
		}
		if len(rec) != len(header) {
			p.errorf(Pos{line, 1}, "", "%d cells, but the header names %d columns", len(rec), len(header))
			continue
		}
		at := fmt.Sprintf("row %d", row)
		given := map[string]value.Value{}
		place := map[string]Pos{}
		for i, cell := range rec {
			cell = strings.TrimSpace(cell)
			if cell == "" {
				continue
			}
			l, c := r.FieldPos(i)
			given[cols[i].Name], place[cols[i].Name] = cellValue(cols[i], cell), Pos{l, c}
		}
		if pt, ok := p.complete(space, given, place, Pos{line, 1}, at); ok {
			pt.Source = fmt.Sprintf("%s:%d", p.file, line)
			out = append(out, pt)
		}
	}
	return out
}

func (p *parser) csvError(err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		p.errorf(Pos{pe.Line, pe.Column}, "", "malformed CSV: %v", pe.Err)
		return
	}
	p.errorf(Pos{1, 1}, "", "malformed CSV: %v", err)
}

// cellValue reads a CSV cell as the parameter's kind of value: a number
// for a numeric parameter, the choice it spells for a categorical one
// (choices may be numbers or booleans), else the text.
func cellValue(prm *search.Param, cell string) value.Value {
	if prm.Type == search.CategoricalParam {
		for _, c := range prm.Choices {
			if c.String() == cell {
				return c
			}
		}
		return value.String(cell)
	}
	if x, err := strconv.ParseFloat(cell, 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
		return value.Float(x)
	}
	return value.String(cell)
}

// complete checks one configuration against the space: each value given
// must be one of its parameter's values and its parameter active; each
// active parameter left out takes its default (which may make others
// active in turn) or is a mistake.
func (p *parser) complete(space *search.Space, given map[string]value.Value, place map[string]Pos, at Pos, where string) (Point, bool) {
	before := len(p.errs)
	pt := make(search.Point, space.Dim())
	for name, v := range given {
		i := space.Index(name)
		prm := &space.Params[i]
		c, ok := coerceTo(prm, v)
		if !ok {
			p.errorf(place[name], where, "parameter %q: %s is not one of its values (%s)", name, formatValue(v), domainText(prm))
			continue
		}
		pt[i] = c
	}
	if len(p.errs) > before {
		return Point{}, false
	}
	// Defaults go in parents first: a parent's default may make a child
	// active, which may need its own.
	for range space.Dim() {
		changed := false
		for i, on := range space.Active(pt) {
			if prm := &space.Params[i]; on && pt[i].IsAbsent() && !prm.Default.IsAbsent() {
				pt[i], changed = prm.Default, true
			}
		}
		if !changed {
			break
		}
	}
	active := space.Active(pt)
	for i := range space.Params {
		prm := &space.Params[i]
		switch {
		case active[i] && pt[i].IsAbsent():
			p.errorf(at, where, "parameter %q is missing, and it has no default: give it a value, or give the parameter a default: in the space file", prm.Name)
		case !active[i] && !pt[i].IsAbsent():
			p.errorf(place[prm.Name], where, "parameter %q is given, but its when: does not hold in this configuration (%s)", prm.Name, whenText(prm))
		}
	}
	if len(p.errs) > before {
		return Point{}, false
	}
	return Point{Values: space.Values(pt)}, true
}

// coerceTo turns a value into the parameter's own kind (1 of a float
// parameter is 1.0), reporting whether it is one of the parameter's values.
func coerceTo(prm *search.Param, v value.Value) (value.Value, bool) {
	if prm.Type != search.CategoricalParam && v.Kind() != value.BoolValue {
		if x, ok := v.Float(); ok {
			switch {
			case prm.Type == search.FloatParam:
				v = value.Float(x)
			case x == math.Trunc(x) && math.Abs(x) <= search.MaxDiscrete:
				v = value.Int(int64(x))
			}
		}
	}
	if !prm.Contains(v) {
		return v, false
	}
	if prm.Type == search.CategoricalParam {
		for _, c := range prm.Choices {
			if c.Equal(v) {
				return c, true
			}
		}
	}
	return v, true
}

func whenText(prm *search.Param) string {
	var parts []string
	for _, c := range prm.When {
		vs := make([]string, len(c.Values))
		for i, v := range c.Values {
			vs[i] = formatValue(v)
		}
		parts = append(parts, fmt.Sprintf("%s in [%s]", c.Parent, strings.Join(vs, ", ")))
	}
	return "when " + strings.Join(parts, " and ")
}

func paramHint(space *search.Space, name string) string {
	names := make([]string, len(space.Params))
	for i := range space.Params {
		names[i] = space.Params[i].Name
	}
	if h := suggest.Hint(name, names); h != "" {
		return h
	}
	return "; the space's parameters: " + strings.Join(names, ", ")
}
