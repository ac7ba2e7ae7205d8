// Package metrics computes the mlp trainer's evaluation metrics from
// predictions and targets: accuracy, macro F1 and ROC AUC for
// classification; RMSE, MAE and R² for regression. Sums run in index order
// in float64, so results are deterministic.
package metrics

import (
	"math"
	"slices"
)

// Accuracy is the fraction of predictions equal to the class.
func Accuracy(pred []int, y []float32) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	ok := 0
	for i, p := range pred {
		if p == int(y[i]) {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

// F1Macro averages F1 = 2TP/(2TP+FP+FN) over the classes that occur in the
// targets or the predictions (scikit-learn's f1_score(average="macro")).
func F1Macro(pred []int, y []float32, classes int) float64 {
	tp := make([]int, classes)
	fp := make([]int, classes)
	fn := make([]int, classes)
	for i, p := range pred {
		t := int(y[i])
		if p == t {
			tp[t]++
		} else {
			fp[p]++
			fn[t]++
		}
	}
	var sum float64
	n := 0
	for k := 0; k < classes; k++ {
		d := 2*tp[k] + fp[k] + fn[k]
		if d == 0 {
			continue
		}
		sum += 2 * float64(tp[k]) / float64(d)
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// AUC is the area under the ROC curve of scores for class 1 against class
// 0: the probability that a random positive outranks a random negative,
// ties counting half (the Mann-Whitney statistic with average ranks). NaN
// when one class is absent.
func AUC(scores []float64, y []float32) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// Regression holds the regression metrics of one evaluation.
type Regression struct {
	RMSE, MAE, R2 float64
}

// Regress computes RMSE, MAE and R² = 1 - SSres/SStot (0 when the targets
// are constant and the fit imperfect, 1 when perfect).
func Regress(pred []float64, y []float64) Regression {
	n := float64(len(y))
	if n == 0 {
		return Regression{math.NaN(), math.NaN(), math.NaN()}
	}
	var mean float64
	for _, v := range y {
		mean += v
	}
	mean /= n
	var se, ae, tot float64
	for i, v := range y {
		d := pred[i] - v
		se += d * d
		ae += math.Abs(d)
		tot += (v - mean) * (v - mean)
	}
	r2 := 1 - se/tot
	if tot == 0 {
		r2 = 0
		if se == 0 {
			r2 = 1
		}
	}
	return Regression{RMSE: math.Sqrt(se / n), MAE: ae / n, R2: r2}
}
