package model

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/kernels"
	"automl/plugins/mlp/nn"
)

// The files the trainer writes into a trial's checkpoint directory.
const (
	ModelFile   = "model.automl"
	HoldoutFile = "holdout.automl"
)

// Model kinds.
const (
	KindSingle   = "single"   // one trial's network(s): one per fold
	KindEnsemble = "ensemble" // weighted members, each a single model
)

// The tasks a model predicts for.
const (
	Binary     = "binary"
	Multiclass = "multiclass"
	Regression = "regression"
)

// Info describes where a model comes from and what it predicts.
type Info struct {
	// Trainer names the trainer that made it ("mlp").
	Trainer string
	// Study and Trial identify the trial (empty and 0 when unknown).
	Study string
	Trial int
	// Dataset is the training data's name (a path or a synthetic spec)
	// and DataDigest the SHA-256 of its content.
	Dataset, DataDigest string
	// Task is Binary, Multiclass or Regression; Target the predicted column.
	Task   string
	Target string
	// Classes name the classes in index order (classification only).
	Classes []string
	// Params are the trial's hyperparameters, in the space's order.
	Params []Param
	// Config is the trainer's config (fixed settings and
	// hyperparameters), keys sorted, values as JSON.
	Config []Param
	// Metrics are the trial's final metrics.
	Metrics map[string]float64
	// Epochs is the number of epochs trained (the best epoch's weights
	// are kept when early stopping restored them).
	Epochs int
}

// Param is one hyperparameter and its value as text.
type Param struct {
	Name, Value string
}

// Fold is one fold's preprocessing and network.
type Fold struct {
	Prep   data.PrepState
	Layers []Layer
	// YMean and YStd undo the regression target's scaling:
	// value = output*YStd + YMean (0 and 1 for classification).
	YMean, YStd float64
}

// Layer is a dense layer y = act(x·W + b), W stored In x Out row-major,
// batch normalisation folded in. Act is an activation name of the trainer
// (relu, leaky_relu, tanh, sigmoid, gelu), or "" for none (the output).
type Layer struct {
	In, Out int
	W, B    []float32
	Act     string
}

// Spec is what a trainer gives New.
type Spec struct {
	Info  Info
	Folds []Fold
	// Ignore lists columns the model knows and does not use (the target,
	// dropped columns, a split column): present in a file to predict on,
	// they are skipped without complaint.
	Ignore []string
	// Missing lists the cells read as missing, as the trainer read them
	// (data.DefaultMissing unless its config said otherwise); empty: none.
	Missing []string
}

// Input is a column a model reads.
type Input struct {
	Name        string
	Categorical bool
	// Levels are the categories seen in training (categorical only).
	Levels []string
}

// body is a model file's gob-encoded content.
type body struct {
	Kind string
	// Spec is a single model; an ensemble's holds only its own Info and
	// the members' Ignore.
	Spec    Spec
	Members []Spec // an ensemble's members
	Weights []int
}

// Model is a loaded model, single or ensemble. It is immutable and safe
// for concurrent use.
type Model struct {
	b       body
	inputs  []Input
	folds   []compiledFold
	index   []int // the inputs' positions in the training table
	levels  []levelIndex
	missing map[string]bool
	// missFirst marks the first bytes of the missing tokens: a cell
	// starting otherwise skips the map lookup.
	missFirst [256]bool
	ignore    map[string]bool
	members   []*Model
	// sharedParse: every member reads cells alike (the same levels and
	// missing tokens), so an ensemble parses each cell once.
	sharedParse bool
}

type compiledFold struct {
	pre  *data.Preprocessor
	acts []nn.Activation
	// packed are the layers' weights packed for the micro-kernel (nil for
	// a layer of one output, which runs as dot products).
	packed []*kernels.Packed
}

// New makes a single model from its parts, checking that they fit.
func New(s Spec) (*Model, error) {
	return compile(body{Kind: KindSingle, Spec: s})
}

// NewEnsemble makes an ensemble of single models with integer weights
// (each >= 1). Every member must predict the same task, target and classes
// from the same input columns.
func NewEnsemble(members []*Model, weights []int) (*Model, error) {
	if len(members) == 0 || len(members) != len(weights) {
		return nil, fmt.Errorf("ensemble: %d members with %d weights", len(members), len(weights))
	}
	b := body{Kind: KindEnsemble, Weights: slices.Clone(weights)}
	for i, m := range members {
		if m == nil || m.b.Kind != KindSingle {
			return nil, fmt.Errorf("ensemble: member %d is not a single model", i+1)
		}
		b.Members = append(b.Members, m.b.Spec)
	}
	return compile(b)
}

// compile checks a body and prepares it for prediction.
func compile(b body) (*Model, error) {
	switch b.Kind {
	case KindSingle:
		return compileSingle(b.Spec)
	case KindEnsemble:
	default:
		return nil, fmt.Errorf("unknown model kind %q", b.Kind)
	}
	if len(b.Members) == 0 || len(b.Members) != len(b.Weights) {
		return nil, fmt.Errorf("ensemble: %d members with %d weights", len(b.Members), len(b.Weights))
	}
	// What the members share describes the ensemble; its metrics are its
	// own (WithMetrics), trial and hyperparameters it has none.
	m0 := b.Members[0].Info
	b.Spec.Info = Info{Trainer: m0.Trainer, Study: m0.Study, Dataset: m0.Dataset, DataDigest: m0.DataDigest,
		Task: m0.Task, Target: m0.Target, Classes: m0.Classes, Metrics: b.Spec.Info.Metrics}
	b.Spec.Ignore, b.Spec.Missing, b.Spec.Folds = b.Members[0].Ignore, nil, nil
	m := &Model{b: b}
	for i, s := range b.Members {
		if b.Weights[i] < 1 {
			return nil, fmt.Errorf("ensemble: member %d has weight %d; want >= 1", i+1, b.Weights[i])
		}
		mm, err := compileSingle(s)
		if err != nil {
			return nil, fmt.Errorf("ensemble member %d: %w", i+1, err)
		}
		if i > 0 {
			if err := sameShape(m.members[0], mm); err != nil {
				return nil, fmt.Errorf("ensemble member %d (trial %d) does not fit member 1 (trial %d): %w", i+1, s.Info.Trial, b.Members[0].Info.Trial, err)
			}
		}
		m.members = append(m.members, mm)
	}
	m.inputs = m.members[0].inputs
	m.sharedParse = true
	for _, mm := range m.members[1:] {
		if !maps.Equal(mm.missing, m.members[0].missing) || !slices.EqualFunc(mm.inputs, m.inputs, func(a, b Input) bool { return slices.Equal(a.Levels, b.Levels) }) {
			m.sharedParse = false
		}
	}
	return m, nil
}

// sameShape says why two models cannot be averaged, or nil.
func sameShape(a, b *Model) error {
	ia, ib := a.b.Spec.Info, b.b.Spec.Info
	switch {
	case ia.Task != ib.Task:
		return fmt.Errorf("task %s, not %s", ib.Task, ia.Task)
	case ia.Target != ib.Target:
		return fmt.Errorf("target %q, not %q", ib.Target, ia.Target)
	case !slices.Equal(ia.Classes, ib.Classes):
		return fmt.Errorf("classes %v, not %v", ib.Classes, ia.Classes)
	case len(a.inputs) != len(b.inputs):
		return fmt.Errorf("%d input columns, not %d", len(b.inputs), len(a.inputs))
	}
	for i, in := range a.inputs {
		if o := b.inputs[i]; o.Name != in.Name || o.Categorical != in.Categorical {
			return fmt.Errorf("input column %d is %s, not %s", i+1, describeInput(o), describeInput(in))
		}
	}
	return nil
}

func describeInput(in Input) string {
	if in.Categorical {
		return fmt.Sprintf("%q (categorical)", in.Name)
	}
	return fmt.Sprintf("%q (numeric)", in.Name)
}

// maxFeatures bounds a layer's size, so a crafted file cannot ask for
// absurd buffers.
const maxFeatures = 1 << 20

func compileSingle(s Spec) (*Model, error) {
	in := s.Info
	switch in.Task {
	case Binary, Multiclass:
		if len(in.Classes) < 2 || (in.Task == Binary && len(in.Classes) != 2) {
			return nil, fmt.Errorf("task %s with %d classes", in.Task, len(in.Classes))
		}
	case Regression:
		if len(in.Classes) != 0 {
			return nil, fmt.Errorf("task regression with %d classes", len(in.Classes))
		}
	default:
		return nil, fmt.Errorf("unknown task %q", in.Task)
	}
	if len(s.Folds) == 0 {
		return nil, errors.New("no networks")
	}
	out := 1
	if in.Task == Multiclass {
		out = len(in.Classes)
	}
	m := &Model{b: body{Kind: KindSingle, Spec: s}, ignore: map[string]bool{}, missing: map[string]bool{}}
	missing := s.Missing
	if missing == nil {
		missing = data.DefaultMissing
	}
	for _, t := range missing {
		t = strings.TrimSpace(t)
		m.missing[t] = true
		if t != "" {
			m.missFirst[t[0]] = true
		}
	}
	for _, c := range s.Ignore {
		m.ignore[c] = true
	}
	for fi, f := range s.Folds {
		if err := m.addInputs(f.Prep, fi); err != nil {
			return nil, fmt.Errorf("fold %d: %w", fi+1, err)
		}
		cf, err := compileFold(f, out)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", fi+1, err)
		}
		if in.Task == Regression && (f.YStd <= 0 || math.IsNaN(f.YStd) || math.IsInf(f.YStd, 0) || math.IsNaN(f.YMean) || math.IsInf(f.YMean, 0)) {
			return nil, fmt.Errorf("fold %d: bad target scaling mean %v, std %v", fi+1, f.YMean, f.YStd)
		}
		m.folds = append(m.folds, cf)
	}
	return m, nil
}

// addInputs records fold 0's input columns, and checks a later fold reads
// the same ones.
func (m *Model) addInputs(p data.PrepState, fold int) error {
	if fold > 0 {
		if len(p.Cols) != len(m.inputs) {
			return fmt.Errorf("%d input columns, fold 1 has %d", len(p.Cols), len(m.inputs))
		}
		for i, c := range p.Cols {
			if c.Name != m.inputs[i].Name || c.Categorical != m.inputs[i].Categorical || c.Index != m.index[i] || !slices.Equal(c.Levels, m.inputs[i].Levels) {
				return fmt.Errorf("input column %d (%q) differs from fold 1's", i+1, c.Name)
			}
		}
		return nil
	}
	names := map[string]bool{}
	for _, c := range p.Cols {
		if names[c.Name] || c.Name == "" {
			return fmt.Errorf("input column %q named twice or empty", c.Name)
		}
		names[c.Name] = true
		if m.ignore[c.Name] {
			return fmt.Errorf("input column %q is also listed as ignored", c.Name)
		}
		lv := map[string]int32{}
		for i, l := range c.Levels {
			if _, dup := lv[l]; dup {
				return fmt.Errorf("input column %q has level %q twice", c.Name, l)
			}
			lv[l] = int32(i)
		}
		m.inputs = append(m.inputs, Input{Name: c.Name, Categorical: c.Categorical, Levels: c.Levels})
		m.index = append(m.index, c.Index)
		m.levels = append(m.levels, newLevelIndex(c.Levels))
	}
	return nil
}

// compileFold checks a fold and builds its preprocessing over a compact
// table: input i at column i (the training table's positions may be far
// apart, and only the inputs are parsed).
func compileFold(f Fold, out int) (compiledFold, error) {
	compact := f.Prep
	compact.Cols = slices.Clone(f.Prep.Cols)
	for i := range compact.Cols {
		compact.Cols[i].Index = i
	}
	pre, err := data.FromState(compact)
	if err != nil {
		return compiledFold{}, err
	}
	cf := compiledFold{pre: pre}
	if len(f.Layers) == 0 {
		return cf, errors.New("no layers")
	}
	width := f.Prep.Width
	for i, l := range f.Layers {
		switch {
		case l.In != width:
			return cf, fmt.Errorf("layer %d takes %d inputs, the previous gives %d", i+1, l.In, width)
		case l.Out < 1 || l.Out > maxFeatures:
			return cf, fmt.Errorf("layer %d has %d outputs", i+1, l.Out)
		case len(l.W) != l.In*l.Out || len(l.B) != l.Out:
			return cf, fmt.Errorf("layer %d (%d x %d) has %d weights and %d biases", i+1, l.In, l.Out, len(l.W), len(l.B))
		}
		act := nn.Identity
		if l.Act != "" {
			if act, err = nn.ParseActivation(l.Act); err != nil {
				return cf, fmt.Errorf("layer %d: %w", i+1, err)
			}
		}
		if i == len(f.Layers)-1 && act != nn.Identity {
			return cf, fmt.Errorf("the output layer has activation %s", l.Act)
		}
		cf.acts = append(cf.acts, act)
		var pk *kernels.Packed
		if l.Out > 1 {
			pk = kernels.Pack(l.In, l.Out, l.W, l.B)
		}
		cf.packed = append(cf.packed, pk)
		width = l.Out
	}
	if width != out {
		return cf, fmt.Errorf("the network gives %d outputs, the task needs %d", width, out)
	}
	return cf, nil
}

// Kind is KindSingle or KindEnsemble.
func (m *Model) Kind() string { return m.b.Kind }

// Info describes the model. An ensemble's has what its members share
// (study, data, task, target, classes), no trial, hyperparameters or
// epochs, and the metrics given to WithMetrics (its members' are theirs:
// see Members).
func (m *Model) Info() Info {
	in := m.spec().Info
	in.Classes = slices.Clone(in.Classes)
	in.Params = slices.Clone(in.Params)
	in.Config = slices.Clone(in.Config)
	in.Metrics = maps.Clone(in.Metrics)
	return in
}

// WithMetrics returns the model with Info().Metrics replaced: for an
// ensemble, its validation and test scores, say, which Save then keeps.
func (m *Model) WithMetrics(metrics map[string]float64) *Model {
	c := *m
	c.b.Spec.Info.Metrics = maps.Clone(metrics)
	return &c
}

func (m *Model) spec() *Spec { return &m.b.Spec }

// Task is Binary, Multiclass or Regression.
func (m *Model) Task() string { return m.spec().Info.Task }

// Target is the column the model predicts.
func (m *Model) Target() string { return m.spec().Info.Target }

// Classes name the classes in index order (nil for regression).
func (m *Model) Classes() []string { return slices.Clone(m.spec().Info.Classes) }

// Inputs are the columns the model reads, in training file order.
func (m *Model) Inputs() []Input { return slices.Clone(m.inputs) }

// Ignored are the columns the model knows and skips (the target, dropped
// and split columns).
func (m *Model) Ignored() []string { return slices.Clone(m.spec().Ignore) }

// Missing are the cells read as missing values (trimmed, sorted): the
// tokens Predict treats as missing, for exporters that must recognise
// them. An ensemble's are its first member's.
func (m *Model) Missing() []string {
	if len(m.members) > 0 {
		return m.members[0].Missing()
	}
	return slices.Sorted(maps.Keys(m.missing))
}

// Folds are a single model's folds, for exporters (nil for an ensemble).
// They share the model's storage: do not modify them.
func (m *Model) Folds() []Fold {
	if m.b.Kind != KindSingle {
		return nil
	}
	return m.b.Spec.Folds
}

// Members are an ensemble's members and weights (nil for a single model).
func (m *Model) Members() ([]*Model, []int) {
	return slices.Clone(m.members), slices.Clone(m.b.Weights)
}
