package mlp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/kernels"
	"automl/plugins/mlp/nn"
)

// ErrDiverged is a training loss that became NaN, infinite or absurdly
// large: a normal outcome of a search (a learning rate too high), which
// fails the trial with that reason.
var ErrDiverged = errors.New("loss diverged")

// divergeLimit is the batch loss taken as exploding: cross-entropy at
// chance is ln(classes) and regression targets are standardised, so a
// healthy loss is of order 1.
const divergeLimit = 1e6

// fold is one model with its data: the single train/validation split, or
// one of k folds.
type fold struct {
	pcg   *rand.PCG
	env   *nn.Env
	model *nn.Model
	opt   *nn.Optimizer
	train split
	val   *split
	test  *split
	// yMean and yStd scale regression targets (0 and 1 for classification).
	yMean, yStd float64
	// best holds the parameters and buffers at the best monitored epoch.
	best [][]float32

	perm []int
	xb   *nn.Mat
	yb   []float32
	dz   *nn.Mat
}

// trainer trains the folds of one trial in lockstep, epoch by epoch.
type trainer struct {
	s       *Settings
	ds      *data.Dataset
	loss    nn.LossFunc
	fitLoss nn.LossFunc // loss with label smoothing: what training minimises
	sched   nn.Schedule
	exec    *kernels.Exec
	folds   []*fold
	classes int

	epoch     int // epochs completed
	stopped   bool
	trainLoss float64
	early     early
}

// newTrainer builds models for prepared folds; seed drives every fold's
// RNG (stream = fold index).
func newTrainer(s *Settings, ds *data.Dataset, prepared []preparedFold, seed uint64) (*trainer, error) {
	t := &trainer{s: s, ds: ds, exec: kernels.NewExec(s.Threads), classes: len(ds.Classes)}
	out := 1
	switch ds.Task {
	case data.Binary:
		t.loss = nn.LossFunc{Kind: nn.BinaryCrossEntropy}
	case data.Multiclass:
		t.loss = nn.LossFunc{Kind: nn.CrossEntropy}
		out = len(ds.Classes)
	default:
		t.loss = nn.LossFunc{Kind: nn.MSE}
		if s.Loss == "huber" {
			t.loss = nn.LossFunc{Kind: nn.Huber, Delta: s.HuberDelta}
		}
	}
	t.fitLoss = t.loss
	if ds.Task.Classification() {
		t.fitLoss.Smooth = s.LabelSmoothing
	} else if s.LabelSmoothing > 0 {
		return nil, &KeyError{Key: "label_smoothing", Msg: fmt.Sprintf("applies to classification; the task is %v", ds.Task)}
	}
	if ds.Task.Classification() && s.Loss != "auto" {
		return nil, &KeyError{Key: "loss", Msg: fmt.Sprintf("%s is a regression loss; the task is %v, which trains with cross-entropy", s.Loss, ds.Task)}
	}
	t.sched = nn.Schedule{Kind: s.Schedule, Base: s.LearningRate, Epochs: s.Epochs, StepSize: s.StepSize, Gamma: s.Gamma, MinLR: s.MinLR, Warmup: s.Warmup}
	glorot := s.Init == "glorot"
	for i, p := range prepared {
		pcg := rand.NewPCG(seed, uint64(i))
		env := &nn.Env{Exec: t.exec, Rng: rand.New(pcg)}
		arch := nn.Arch{In: p.width, Hidden: s.Hidden, Out: out, Act: s.Activation, Dropout: s.Dropout, BatchNorm: s.BatchNorm, Glorot: glorot}
		m, err := nn.NewModel(arch, env)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		f := &fold{pcg: pcg, env: env, model: m, train: p.train, val: p.val, test: p.test, yMean: p.yMean, yStd: p.yStd}
		f.opt = &nn.Optimizer{Kind: s.Optimizer, Momentum: s.Momentum, Beta1: s.Beta1, Beta2: s.Beta2, Alpha: s.Rho, Eps: s.Eps, WeightDecay: s.WeightDecay}
		t.folds = append(t.folds, f)
	}
	t.early = newEarly(s, prepared[0].val != nil)
	return t, nil
}

// epochStep trains every fold for one epoch (0-based e) and returns the
// mean training loss.
func (t *trainer) epochStep(e int, cancelled func() bool) (float64, error) {
	var sum float64
	for _, f := range t.folds {
		l, err := t.trainFold(f, e, cancelled)
		if err != nil {
			return 0, err
		}
		sum += l
	}
	return sum / float64(len(t.folds)), nil
}

// errCancelled stops an epoch when the context ends.
var errCancelled = errors.New("cancelled")

// trainFold runs one epoch of mini-batch steps over a shuffled order.
func (t *trainer) trainFold(f *fold, e int, cancelled func() bool) (float64, error) {
	x, y := f.train.x, f.train.y
	n, d := x.R, x.C
	if cap(f.perm) < n {
		f.perm = make([]int, n)
	}
	perm := f.perm[:n]
	for i := range perm {
		perm[i] = i
	}
	f.env.Rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	bs := min(t.s.BatchSize, n)
	nb := (n + bs - 1) / bs
	if f.xb == nil {
		f.xb = nn.NewMat(bs, d)
		f.yb = make([]float32, bs)
		f.dz = nn.NewMat(bs, f.model.Arch.Out)
	}
	params := f.model.Params()
	var sum float64
	for b := 0; b < nb; b++ {
		if b%16 == 0 && cancelled() {
			return 0, errCancelled
		}
		rows := perm[b*bs : min((b+1)*bs, n)]
		xb := &nn.Mat{R: len(rows), C: d, D: f.xb.D[:len(rows)*d]}
		yb := f.yb[:len(rows)]
		for i, r := range rows {
			copy(xb.D[i*d:(i+1)*d], x.D[r*d:(r+1)*d])
			yb[i] = y[r]
		}
		z := f.model.Forward(xb, true)
		dz := &nn.Mat{R: len(rows), C: z.C, D: f.dz.D[:len(rows)*z.C]}
		l := t.fitLoss.Eval(z, yb, dz)
		if math.IsNaN(l) || math.IsInf(l, 0) || l > divergeLimit {
			lr := t.sched.LR(e, b, nb)
			return 0, fmt.Errorf("%w to %v at epoch %d (learning_rate %g may be too high)", ErrDiverged, l, e+1, lr)
		}
		f.model.Backward(dz)
		f.model.Penalty(t.s.L1, t.s.L2)
		if t.s.ClipNorm > 0 {
			f.model.ClipGrad(t.s.ClipNorm)
		}
		f.opt.Step(params, t.sched.LR(e, b, nb))
		sum += l * float64(len(rows))
	}
	return sum / float64(n), nil
}

// evaluateAll returns the mean validation (and, when test, test) metrics
// over folds. A NaN validation loss is divergence.
func (t *trainer) evaluateAll(test bool) (map[string]float64, error) {
	var val, tst []map[string]float64
	for _, f := range t.folds {
		if f.val != nil {
			m := f.evaluate(f.val, t.ds.Task, t.loss, t.classes)
			if l := m["loss"]; math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, fmt.Errorf("%w: validation loss is %v at epoch %d (learning_rate %g may be too high)", ErrDiverged, l, t.epoch, t.s.LearningRate)
			}
			val = append(val, m)
		}
		if test && f.test != nil {
			tst = append(tst, f.evaluate(f.test, t.ds.Task, t.loss, t.classes))
		}
	}
	out := map[string]float64{}
	for k, v := range meanMetrics("val_", val) {
		out[k] = v
	}
	for k, v := range meanMetrics("test_", tst) {
		out[k] = v
	}
	return out, nil
}

// snapshot copies every fold's parameters and buffers.
func (f *fold) snapshot() [][]float32 {
	var out [][]float32
	for _, p := range f.model.Params() {
		out = append(out, append([]float32(nil), p.W...))
	}
	for _, b := range f.model.Buffers() {
		out = append(out, append([]float32(nil), b...))
	}
	return out
}

// restore loads a snapshot taken by snapshot (or read from a checkpoint).
func (f *fold) restore(s [][]float32) error {
	ps, bs := f.model.Params(), f.model.Buffers()
	if len(s) != len(ps)+len(bs) {
		return fmt.Errorf("checkpoint has %d tensors, the model %d", len(s), len(ps)+len(bs))
	}
	for i, p := range ps {
		if len(s[i]) != len(p.W) {
			return fmt.Errorf("checkpoint tensor %d has %d values, the model's %s %d", i, len(s[i]), p.Name, len(p.W))
		}
		copy(p.W, s[i])
	}
	for i, b := range bs {
		if len(s[len(ps)+i]) != len(b) {
			return fmt.Errorf("checkpoint buffer %d has %d values, the model %d", i, len(s[len(ps)+i]), len(b))
		}
		copy(b, s[len(ps)+i])
	}
	return nil
}
