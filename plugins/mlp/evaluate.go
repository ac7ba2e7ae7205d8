package mlp

import (
	"math"
	"strings"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/metrics"
	"automl/plugins/mlp/nn"
)

// Metric names, without the val_ / test_ prefix.
var (
	classMetrics  = []string{"loss", "accuracy", "f1", "auc"} // auc: binary only
	regressMetric = []string{"loss", "rmse", "mae", "r2"}
	allValMetrics = []string{"val_loss", "val_accuracy", "val_f1", "val_auc", "val_rmse", "val_mae", "val_r2"}
)

// taskMetrics lists the metrics reported for a task, without prefix.
func taskMetrics(t data.Task) []string {
	switch t {
	case data.Binary:
		return classMetrics
	case data.Multiclass:
		return classMetrics[:3]
	}
	return regressMetric
}

// reportedMetrics lists every metric name a trial of this task can
// report, for checking an objective or a monitor.
func reportedMetrics(t data.Task, val, test bool) []string {
	out := []string{"train_loss"}
	for _, m := range taskMetrics(t) {
		if val {
			out = append(out, "val_"+m)
		}
		if test {
			out = append(out, "test_"+m)
		}
	}
	return out
}

// higherIsBetter says which way a metric improves.
func higherIsBetter(name string) bool {
	for _, s := range []string{"accuracy", "auc", "f1", "r2"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// split is one evaluation set of a fold: features, targets (scaled for
// regression) and the original regression targets.
type split struct {
	x    *nn.Mat
	y    []float32
	orig []float64
}

// evalChunk bounds the rows forwarded at once when evaluating.
const evalChunk = 1024

// evaluate returns the task's metrics of the model on one split.
func (f *fold) evaluate(sp *split, t data.Task, loss nn.LossFunc, classes int) map[string]float64 {
	if sp == nil || sp.x.R == 0 {
		return nil
	}
	out := f.model.Predict(sp.x, evalChunk)
	z := &nn.Mat{R: sp.x.R, C: f.model.Arch.Out, D: out}
	m := map[string]float64{"loss": loss.Eval(z, sp.y, nil)}
	switch t {
	case data.Binary:
		pred := make([]int, z.R)
		scores := make([]float64, z.R)
		for i, v := range out {
			scores[i] = float64(v)
			if v > 0 {
				pred[i] = 1
			}
		}
		m["accuracy"] = metrics.Accuracy(pred, sp.y)
		m["f1"] = metrics.F1Macro(pred, sp.y, 2)
		m["auc"] = metrics.AUC(scores, sp.y)
	case data.Multiclass:
		pred := make([]int, z.R)
		for i := range pred {
			row := z.Row(i)
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			pred[i] = best
		}
		m["accuracy"] = metrics.Accuracy(pred, sp.y)
		m["f1"] = metrics.F1Macro(pred, sp.y, classes)
	default:
		pred := make([]float64, z.R)
		for i, v := range out {
			pred[i] = float64(v)*f.yStd + f.yMean
		}
		r := metrics.Regress(pred, sp.orig)
		m["rmse"], m["mae"], m["r2"] = r.RMSE, r.MAE, r.R2
	}
	return m
}

// meanMetrics averages per-fold metric maps (in fold order) and prefixes
// the names. A metric that is NaN in a fold (AUC of a one-class fold) is
// averaged over the other folds.
func meanMetrics(prefix string, per []map[string]float64) map[string]float64 {
	if len(per) == 0 || per[0] == nil {
		return nil
	}
	out := map[string]float64{}
	for name := range per[0] {
		var sum float64
		n := 0
		for _, m := range per {
			if v := m[name]; !math.IsNaN(v) {
				sum += v
				n++
			}
		}
		if n > 0 {
			out[prefix+name] = sum / float64(n)
		}
	}
	return out
}
