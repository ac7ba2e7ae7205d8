package mlp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"

	"automl/model"
	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// export writes the model file and, when the trial has validation rows,
// the holdout file into the checkpoint directory: the weights the final
// metrics describe (the best epoch's when early stopping restored them).
func (j *job) export(metrics map[string]float64) error {
	t := j.t
	spec, err := j.modelSpec(metrics)
	if err != nil {
		return err
	}
	m, err := model.New(spec)
	if err != nil {
		return fmt.Errorf("model file: %w", err)
	}
	if err := m.Save(filepath.Join(j.spec.CheckpointDir, model.ModelFile)); err != nil {
		return err
	}
	if t.folds[0].val == nil {
		return nil
	}
	return j.holdout().Save(filepath.Join(j.spec.CheckpointDir, model.HoldoutFile))
}

// modelSpec gathers what prediction needs and what describes the model.
func (j *job) modelSpec(metrics map[string]float64) (model.Spec, error) {
	t, c := j.t, &j.t.s.Config
	info := model.Info{Trainer: "mlp", Study: j.spec.Key.Study, Trial: j.spec.Key.ID, Dataset: c.Dataset, DataDigest: t.ds.Digest,
		Task: t.ds.Task.String(), Target: t.ds.Cols[t.ds.Target].Name, Classes: slices.Clone(t.ds.Classes),
		Metrics: maps.Clone(metrics), Epochs: t.epoch}
	for _, nv := range j.spec.Params {
		info.Params = append(info.Params, model.Param{Name: nv.Name, Value: nv.Value.String()})
	}
	for _, k := range slices.Sorted(maps.Keys(j.spec.Trainer.Config)) {
		v, err := json.Marshal(j.spec.Trainer.Config[k])
		if err != nil {
			v = fmt.Appendf(nil, "%q", fmt.Sprint(j.spec.Trainer.Config[k]))
		}
		info.Config = append(info.Config, model.Param{Name: k, Value: string(v)})
	}
	ignore := append([]string{info.Target}, c.Drop...)
	if c.SplitColumn != "" {
		ignore = append(ignore, c.SplitColumn)
	}
	missing := c.Missing
	if missing == nil {
		missing = data.DefaultMissing
	}
	s := model.Spec{Info: info, Ignore: ignore, Missing: slices.Clone(missing)}
	for i, f := range t.folds {
		mf := model.Fold{Prep: j.prepared[i].pre.State(t.ds), YMean: f.yMean, YStd: f.yStd}
		if err := checkState(j.prepared[i].pre, mf.Prep, t.ds); err != nil {
			return model.Spec{}, fmt.Errorf("fold %d: %w", i+1, err)
		}
		for _, l := range f.model.Fold() {
			act := ""
			if l.Act != nn.Identity {
				act = l.Act.String()
			}
			mf.Layers = append(mf.Layers, model.Layer{In: l.In, Out: l.Out, W: l.W, B: l.B, Act: act})
		}
		s.Folds = append(s.Folds, mf)
	}
	return s, nil
}

// checkRows bounds the rows checkState encodes both ways.
const checkRows = 5000

// checkState makes sure the preprocessing rebuilt from its exported state
// encodes rows of the table exactly as the fitted one does: a fitted
// transform the state does not carry would otherwise make a model file
// that predicts something else than the trial measured, silently.
func checkState(pre *data.Preprocessor, st data.PrepState, ds *data.Dataset) error {
	back, err := data.FromState(st)
	if err != nil {
		return fmt.Errorf("model file: the preprocessing's state: %w", err)
	}
	step := max(1, ds.Rows/checkRows)
	var rows []int
	for r := 0; r < ds.Rows; r += step {
		rows = append(rows, r)
	}
	want, got := pre.Transform(ds, rows), back.Transform(ds, rows)
	for k := range want {
		if math.Float32bits(want[k]) != math.Float32bits(got[k]) {
			r, c := rows[k/pre.Width], k%pre.Width
			return fmt.Errorf("model file: the saved preprocessing encodes feature %s of row %d as %v, training encoded %v (a fitted transform plugins/mlp/data's State does not export?)",
				pre.Names[c], r+1, got[k], want[k])
		}
	}
	return nil
}

// holdout predicts the validation rows (out of fold with k folds) and
// the test rows (folds averaged).
func (j *job) holdout() *model.Holdout {
	t := j.t
	width := 1
	if t.ds.Task.Classification() {
		width = len(t.ds.Classes)
	}
	h := &model.Holdout{Study: j.spec.Key.Study, Trial: j.spec.Key.ID, Task: t.ds.Task.String(), Classes: slices.Clone(t.ds.Classes)}
	// Validation: each fold's rows, placed in table row order.
	var rows []int
	for i := range t.folds {
		rows = append(rows, j.prepared[i].valRows...)
	}
	slices.Sort(rows)
	pos := make(map[int]int, len(rows))
	for i, r := range rows {
		pos[r] = i
	}
	h.Val = j.newSplit(rows, width)
	for i, f := range t.folds {
		p := t.outputs(f, f.val)
		for k, r := range j.prepared[i].valRows {
			copy(h.Val.P[pos[r]*width:(pos[r]+1)*width], toFloat32(p[k*width:(k+1)*width]))
		}
	}
	if t.folds[0].test == nil {
		return h
	}
	test := j.prepared[0].testRows
	h.Test = j.newSplit(test, width)
	sum := make([]float64, len(test)*width)
	for _, f := range t.folds {
		for k, v := range t.outputs(f, f.test) {
			sum[k] += v
		}
	}
	for k, v := range sum {
		h.Test.P[k] = float32(v / float64(len(t.folds)))
	}
	return h
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// newSplit makes a holdout split of the given table rows with their truth
// and a digest of the data, target and rows.
func (j *job) newSplit(rows []int, width int) *model.Split {
	ds := j.t.ds
	s := &model.Split{Rows: len(rows), Width: width, Y: make([]float32, len(rows)), P: make([]float32, len(rows)*width)}
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%v|%d|", ds.Digest, ds.Cols[ds.Target].Name, ds.Task, len(rows))
	var b [8]byte
	for i, r := range rows {
		s.Y[i] = ds.Y[r]
		binary.LittleEndian.PutUint64(b[:], uint64(r))
		h.Write(b[:])
	}
	s.Digest = hex.EncodeToString(h.Sum(nil))
	return s
}

// outputs are a fold's predictions on a split, rows x width: class
// probabilities, or values in target units.
func (t *trainer) outputs(f *fold, sp *split) []float64 {
	z := f.model.Predict(sp.x, evalChunk)
	switch t.ds.Task {
	case data.Binary:
		out := make([]float64, 2*sp.x.R)
		for i, v := range z {
			p := sigmoid(float64(v))
			out[2*i], out[2*i+1] = 1-p, p
		}
		return out
	case data.Multiclass:
		k := len(t.ds.Classes)
		out := make([]float64, len(z))
		for i := 0; i < sp.x.R; i++ {
			row := z[i*k : (i+1)*k]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, float64(v))
			}
			var s float64
			for _, v := range row {
				s += math.Exp(float64(v) - mx)
			}
			for c, v := range row {
				out[i*k+c] = math.Exp(float64(v)-mx) / s
			}
		}
		return out
	}
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = float64(v)*f.yStd + f.yMean
	}
	return out
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
