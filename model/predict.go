package model

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/kernels"
)

// Options adjust prediction. The zero value is strict and names the input
// "input" in errors.
type Options struct {
	// Source names the input in errors (a file name).
	Source string
	// IgnoreExtra skips columns the model does not know instead of
	// refusing them. Columns the model knows and does not use (the target,
	// dropped columns) are always skipped.
	IgnoreExtra bool
	// Lines gives each record's file line, for errors (nil: errors give
	// the row number only).
	Lines []int
	// Threads bounds the goroutines used (0: GOMAXPROCS).
	Threads int
}

// InputError is a problem with the rows given to predict: a missing or
// unexpected column, a ragged record, a cell that is not a number.
type InputError struct {
	Source string
	// Row is the 1-based data row (0: about the columns as a whole), Line
	// the file line when known.
	Row, Line int
	Column    string
	Msg       string
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Row > 0 {
		fmt.Fprintf(&b, "row %d: ", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Predictions are a model's outputs for n rows.
type Predictions struct {
	// Classes name the classes (nil for regression).
	Classes []string
	// Class is each row's predicted class, an index into Classes.
	Class []int
	// Proba holds each row's class probabilities, n x len(Classes)
	// row-major.
	Proba []float64
	// Value is each row's predicted value (regression).
	Value []float64
}

// Len is the number of rows predicted.
func (p *Predictions) Len() int {
	if p.Classes == nil {
		return len(p.Value)
	}
	return len(p.Class)
}

// Label is row i's prediction as text: the class name, or the value.
func (p *Predictions) Label(i int) string {
	if p.Classes == nil {
		return strconv.FormatFloat(p.Value[i], 'g', -1, 64)
	}
	return p.Classes[p.Class[i]]
}

// Probabilities are row i's class probabilities (shares storage).
func (p *Predictions) Probabilities(i int) []float64 {
	k := len(p.Classes)
	return p.Proba[i*k : (i+1)*k]
}

func newPredictions(classes []string, n int) *Predictions {
	if len(classes) == 0 {
		return &Predictions{Value: make([]float64, n)}
	}
	return &Predictions{Classes: classes, Class: make([]int, n), Proba: make([]float64, n*len(classes))}
}

// Predict predicts rows given by column name. Every input column must be
// present in every row; a key the model does not know is an error unless
// o.IgnoreExtra.
func (m *Model) Predict(rows []map[string]string, o Options) (*Predictions, error) {
	src := source(o)
	header := make([]string, len(m.inputs))
	for i, in := range m.inputs {
		header[i] = in.Name
	}
	records := make([][]string, len(rows))
	cells := make([]string, len(rows)*len(header))
	for r, row := range rows {
		rec := cells[r*len(header) : (r+1)*len(header)]
		for i, name := range header {
			v, ok := row[name]
			if !ok {
				return nil, &InputError{Source: src, Row: r + 1, Line: lineOf(o, r), Column: name, Msg: "missing: the model reads this column"}
			}
			rec[i] = v
		}
		if !o.IgnoreExtra && len(row) > len(header) {
			for k := range row {
				if !m.reads(k) && !m.spec().ignores(k) {
					return nil, &InputError{Source: src, Row: r + 1, Line: lineOf(o, r), Column: k, Msg: m.unexpected()}
				}
			}
		}
		records[r] = rec
	}
	cols := make([]int, len(header))
	for i := range cols {
		cols[i] = i
	}
	return m.predictBound(records, cols, len(header), o)
}

// PredictRecords predicts CSV-style records under a header: the fast path
// for files. Columns are matched by name; a missing input column, or a
// column the model does not know (unless o.IgnoreExtra), is an error
// naming it.
func (m *Model) PredictRecords(header []string, records [][]string, o Options) (*Predictions, error) {
	src := source(o)
	pos := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if j, dup := pos[h]; dup {
			return nil, &InputError{Source: src, Column: h, Msg: fmt.Sprintf("named twice in the header (columns %d and %d)", j+1, i+1)}
		}
		pos[h] = i
		if !o.IgnoreExtra && !m.reads(h) && !m.spec().ignores(h) {
			return nil, &InputError{Source: src, Column: h, Msg: m.unexpected()}
		}
	}
	cols := make([]int, len(m.inputs))
	for i, in := range m.inputs {
		j, ok := pos[in.Name]
		if !ok {
			return nil, &InputError{Source: src, Column: in.Name, Msg: "missing: the model reads this column; the header has " + strings.Join(header, ", ")}
		}
		cols[i] = j
	}
	return m.predictBound(records, cols, len(header), o)
}

func (m *Model) reads(name string) bool {
	for _, in := range m.inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

func (s *Spec) ignores(name string) bool {
	for _, c := range s.Ignore {
		if c == name {
			return true
		}
	}
	return false
}

func (m *Model) unexpected() string {
	names := make([]string, len(m.inputs))
	for i, in := range m.inputs {
		names[i] = in.Name
	}
	return "the model does not read this column (it reads " + strings.Join(names, ", ") + "); remove it, or ignore extra columns"
}

func source(o Options) string {
	if o.Source == "" {
		return "input"
	}
	return o.Source
}

func lineOf(o Options, r int) int {
	if r < len(o.Lines) {
		return o.Lines[r]
	}
	return 0
}

// part is one network's share of a prediction: a fold of a single
// model, weighted by scale.
type part struct {
	m     *Model
	fold  int
	scale float64
}

// predictBound predicts records whose input i is field cols[i]; every
// record must have `fields` fields. A single model averages its folds; an
// ensemble its members by weight (each member's folds sharing its
// weight), reading the cells once when its members read them alike.
func (m *Model) predictBound(records [][]string, cols []int, fields int, o Options) (*Predictions, error) {
	var parts []part
	total := 0.0
	switch {
	case m.b.Kind == KindSingle:
		for f := range m.folds {
			parts = append(parts, part{m, f, 1})
		}
		total = float64(len(m.folds))
	case m.sharedParse:
		for i, mem := range m.members {
			w := float64(m.b.Weights[i])
			for f := range mem.folds {
				parts = append(parts, part{mem, f, w / float64(len(mem.folds))})
			}
			total += w
		}
	default:
		return m.predictMembers(records, cols, fields, o)
	}
	parser := m
	if m.b.Kind == KindEnsemble {
		parser = m.members[0]
	}
	return parser.predictParts(parts, total, records, cols, fields, o)
}

// predictMembers predicts with each member in turn (members that read
// cells differently: other levels or missing tokens) and averages.
func (m *Model) predictMembers(records [][]string, cols []int, fields int, o Options) (*Predictions, error) {
	out := newPredictions(m.Classes(), len(records))
	total := 0
	for i, mem := range m.members {
		p, err := mem.predictBound(records, cols, fields, o)
		if err != nil {
			return nil, err
		}
		w := float64(m.b.Weights[i])
		total += m.b.Weights[i]
		for j, v := range p.Proba {
			out.Proba[j] += w * v
		}
		for j, v := range p.Value {
			out.Value[j] += w * v
		}
	}
	inv := 1 / float64(total)
	for j := range out.Proba {
		out.Proba[j] *= inv
	}
	for j := range out.Value {
		out.Value[j] *= inv
	}
	if out.Classes != nil {
		out.setClasses(nil)
	}
	return out, nil
}

// setClasses picks each row's most probable class (the first of equals);
// a binary tie at exactly 0.5 goes to class 1 when the summed logit is
// positive, as the trainer decides by the logit's sign.
func (p *Predictions) setClasses(logits []float64) {
	k := len(p.Classes)
	for r := range p.Class {
		row := p.Proba[r*k : (r+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if k == 2 && row[0] == row[1] && logits != nil && logits[r] > 0 {
			best = 1
		}
		p.Class[r] = best
	}
}

// chunkRows is the most rows a worker encodes and forwards at once (a
// chunk's activations and a layer's packed weights stay in L2).
const chunkRows = 256

// chunking splits n rows for `threads` goroutines into chunks of at most
// chunkRows rows, a multiple of 32 (whole kernel panels, whole cache
// lines of outputs), their count a multiple of threads where that keeps
// them that long, so that the goroutines finish together: 1,300 rows on
// 2 goroutines are 6 chunks of 224 rows or fewer, not 5 of 256 and one
// of 20. It returns the chunk length and count.
func chunking(n, threads int) (size, chunks int) {
	chunks = (n + chunkRows - 1) / chunkRows
	if threads > 1 {
		chunks = (chunks + threads - 1) / threads * threads
	}
	size = min(chunkRows, ((n+chunks-1)/chunks+31)/32*32)
	return size, (n + size - 1) / size
}

// scratch is one worker's buffers.
type scratch struct {
	exec  *kernels.Exec
	ds    *data.Dataset
	idx   []int
	x     []float32 // the encoded chunk
	a, b  []float32
	z     []float32 // the output, row-major
	cols  []*data.Column
	spare []data.Column
}

var scratchPool = sync.Pool{New: func() any { return &scratch{exec: kernels.NewExec(1)} }}

// predictParts reads the records with m's parser in chunks on several
// goroutines and sums the parts' outputs, each times its scale, then
// divides by total.
func (m *Model) predictParts(parts []part, total float64, records [][]string, cols []int, fields int, o Options) (*Predictions, error) {
	n := len(records)
	out := newPredictions(m.Classes(), n)
	var logits []float64
	if m.Task() == Binary {
		logits = make([]float64, n)
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	size, chunks := chunking(n, threads)
	threads = min(threads, chunks)
	errs := make([]error, chunks)
	var next, failed atomic.Int64
	failed.Store(math.MaxInt64)
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := scratchPool.Get().(*scratch)
			defer scratchPool.Put(s)
			for {
				c := next.Add(1) - 1
				if c >= int64(chunks) || c > failed.Load() {
					return
				}
				lo, hi := int(c)*size, min(int(c+1)*size, n)
				if err := m.parse(s, records, cols, fields, o, lo, hi); err != nil {
					errs[c] = err
					for f := failed.Load(); c < f && !failed.CompareAndSwap(f, c); f = failed.Load() {
					}
					continue
				}
				for _, p := range parts {
					p.m.run(s, p.fold, p.scale, lo, hi, out, logits)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if total != 1 {
		for j := range out.Proba {
			out.Proba[j] /= total
		}
		for j := range out.Value {
			out.Value[j] /= total
		}
	}
	if out.Classes != nil {
		out.setClasses(logits)
	}
	return out, nil
}

// run encodes the parsed rows [lo, hi) with fold fi's preprocessing,
// forwards them and adds scale times the outputs into out
// (probabilities, values, and binary logits).
func (m *Model) run(s *scratch, fi int, scale float64, lo, hi int, out *Predictions, logits []float64) {
	rows := hi - lo
	spec := m.spec()
	classes := len(out.Classes)
	f, ff := m.folds[fi], spec.Folds[fi]
	s.x = f.pre.TransformTo(s.x, s.ds, s.idx[:rows])
	x := s.x
	z := forward(s, ff.Layers, &f, x, rows)
	switch spec.Info.Task {
	case Binary:
		for r := 0; r < rows; r++ {
			v := float64(z[r])
			p := sigmoid(v)
			out.Proba[(lo+r)*2] += scale * (1 - p)
			out.Proba[(lo+r)*2+1] += scale * p
			logits[lo+r] += scale * v
		}
	case Multiclass:
		for r := 0; r < rows; r++ {
			softmaxAdd(z[r*classes:(r+1)*classes], scale, out.Proba[(lo+r)*classes:(lo+r+1)*classes])
		}
	default:
		for r := 0; r < rows; r++ {
			out.Value[lo+r] += scale * (float64(z[r])*ff.YStd + ff.YMean)
		}
	}
}

// parse reads rows [lo, hi) into the scratch table: numbers (NaN where
// missing) and level codes (-1 missing, len(levels) unseen), as the
// trainer's CSV reader reads cells.
func (m *Model) parse(s *scratch, records [][]string, cols []int, fields int, o Options, lo, hi int) error {
	rows := hi - lo
	width := len(m.inputs)
	if len(s.cols) < width {
		s.cols = make([]*data.Column, width)
		s.spare = make([]data.Column, width)
	}
	for i, in := range m.inputs {
		c := &s.spare[i]
		c.Name, c.Categorical = in.Name, in.Categorical
		if in.Categorical {
			c.Codes = grow(c.Codes, rows)
		} else {
			c.Num = grow(c.Num, rows)
		}
		s.cols[i] = c
	}
	if s.ds == nil {
		s.ds = &data.Dataset{Table: &data.Table{}}
	}
	s.ds.Cols, s.ds.Rows = s.cols[:width], rows
	for len(s.idx) < rows {
		s.idx = append(s.idx, len(s.idx))
	}
	src := source(o)
	for r := 0; r < rows; r++ {
		rec := records[lo+r]
		if len(rec) != fields {
			return &InputError{Source: src, Row: lo + r + 1, Line: lineOf(o, lo+r), Msg: fmt.Sprintf("%d fields, the header has %d", len(rec), fields)}
		}
		for i, in := range m.inputs {
			c := s.cols[i]
			v := strings.TrimSpace(rec[cols[i]])
			miss := (v == "" || m.missFirst[v[0]]) && m.missing[v]
			if in.Categorical {
				code := int32(-1)
				if !miss {
					var ok bool
					if code, ok = m.levels[i].code(v); !ok {
						code = int32(len(in.Levels))
					}
				}
				c.Codes[r] = code
				continue
			}
			x := math.NaN()
			if !miss {
				f, err := parseFloat(v)
				switch {
				case err != nil:
					return &InputError{Source: src, Row: lo + r + 1, Line: lineOf(o, lo+r), Column: in.Name, Msg: fmt.Sprintf("%q is not a number, and the model reads the column as numeric", v)}
				case math.IsInf(f, 0):
					return &InputError{Source: src, Row: lo + r + 1, Line: lineOf(o, lo+r), Column: in.Name, Msg: fmt.Sprintf("%q is infinite; a feature must be a finite number", v)}
				}
				x = f
			}
			c.Num[r] = x
		}
	}
	return nil
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softmaxAdd adds scale times softmax(z) to p, in float64.
func softmaxAdd(z []float32, scale float64, p []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	for j, v := range z {
		p[j] += scale * (math.Exp(float64(v)-mx) / s)
	}
}

// grow returns s resliced to n, or a new slice when s is too small (its
// contents are not kept: the callers overwrite them).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
