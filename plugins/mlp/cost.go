package mlp

import (
	"slices"
	"time"

	"automl/plugins/mlp/nn"
)

// The model's cost, reported with the final metrics beside its quality so
// that a study can weigh accuracy against size or latency.
const (
	// paramsMetric is the number of trainable values of the network.
	paramsMetric = "params"
	// inferenceMetric is the median time, in milliseconds, to predict one
	// batch of inferenceRows rows.
	inferenceMetric = "inference_ms"
)

// costMetrics are the metrics only the final result holds.
var costMetrics = []string{paramsMetric, inferenceMetric}

const (
	// inferenceRows is the size of the batch inference_ms times.
	inferenceRows = 256
	// inferenceRuns is how many timed predictions (after one untimed
	// warm-up) inference_ms is the median of.
	inferenceRuns = 7
)

// paramCount is the number of trainable values of a model: the weights
// and biases of its dense layers and the scales and shifts of its batch
// norms (running statistics are not trained and do not count).
func paramCount(m *nn.Model) int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.W)
	}
	return n
}

// inferenceBatch is the batch inference_ms predicts: the first
// inferenceRows rows of the fold's validation features, else of its test
// features, else of its training features, the rows repeated in order
// when there are fewer.
func (f *fold) inferenceBatch() *nn.Mat {
	x := f.train.x
	switch {
	case f.val != nil && f.val.x.R > 0:
		x = f.val.x
	case f.test != nil && f.test.x.R > 0:
		x = f.test.x
	}
	if x.R >= inferenceRows {
		return x.Rows(0, inferenceRows)
	}
	b := nn.NewMat(inferenceRows, x.C)
	for i := range inferenceRows {
		copy(b.Row(i), x.Row(i%x.R))
	}
	return b
}

// inferenceMS times the fold's model predicting its inference batch
// through the path evaluation uses (Predict, in evaluation mode, with the
// trial's threads): one untimed warm-up, then the median of inferenceRuns
// timed runs, in milliseconds. Predicting changes no weight, statistic
// or random state.
func (f *fold) inferenceMS() float64 {
	x := f.inferenceBatch()
	f.model.Predict(x, evalChunk)
	runs := make([]time.Duration, inferenceRuns)
	for i := range runs {
		start := time.Now()
		f.model.Predict(x, evalChunk)
		runs[i] = time.Since(start)
	}
	return medianMS(runs)
}

// medianMS is the median of durations in milliseconds (the mean of the
// middle two for an even count); 0 for none.
func medianMS(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	mid := s[len(s)/2]
	if len(s)%2 == 0 {
		mid = (s[len(s)/2-1] + mid) / 2
	}
	return float64(mid) / float64(time.Millisecond)
}

// costs returns params and inference_ms, each the mean over folds like
// every other metric (the folds' networks differ only when their
// preprocessing gives them different input widths).
func (t *trainer) costs() map[string]float64 {
	var params, ms float64
	for _, f := range t.folds {
		params += float64(paramCount(f.model))
		ms += f.inferenceMS()
	}
	k := float64(len(t.folds))
	return map[string]float64{paramsMetric: params / k, inferenceMetric: ms / k}
}
