package mlp

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestPreprocessingKeysReachTheEncoder: numeric_transform, max_levels and
// categorical_encoding set the fitted encoding, and bad values name the key.
func TestPreprocessingKeysReachTheEncoder(t *testing.T) {
	path := t.TempDir() + "/d.csv"
	var b strings.Builder
	b.WriteString("gain,country,target\n")
	for i := range 200 {
		gain := "0"
		if i%9 == 0 {
			gain = "25000"
		}
		country := []string{"us", "us", "us", "mx", "ph", "?"}[i%6]
		b.WriteString(gain + "," + country + "," + []string{"a", "b"}[i%2] + "\n")
	}
	writeCSV(t, path, b.String())
	cfg := map[string]any{"dataset": path, "numeric_transform": "log", "max_levels": 1, "categorical_encoding": "onehot+frequency"}
	_, _, pf := preparedData(t, cfg)
	// gain, country=us, country=(other), country(frequency)
	if pf[0].width != 4 {
		t.Errorf("width %d, want 4", pf[0].width)
	}
	// log1p(25000) standardised: far less extreme than 25000 standardised (about 2.8 sd)
	var max float32
	for i := 0; i < pf[0].train.x.R; i++ {
		max = float32(math.Max(float64(max), float64(pf[0].train.x.D[i*pf[0].width])))
	}
	if max > 3.5 || max < 1 {
		t.Errorf("largest encoded gain %v", max)
	}
	if _, err := (Runner{}).Run(context.Background(), spec(map[string]any{"dataset": path, "numeric_transform": "boxcox"}, nil), &fakeReporter{}); err == nil ||
		!strings.Contains(err.Error(), "numeric_transform") {
		t.Errorf("bad numeric_transform: %v", err)
	}
	if _, err := Parse(map[string]any{"dataset": path, "max_levels": -2}, nil); err == nil || !strings.Contains(err.Error(), "max_levels") {
		t.Errorf("bad max_levels: %v", err)
	}
}

// TestLabelSmoothing: the training loss is against the smoothed target
// (never below its entropy), the metrics against the true labels; a
// regression task refuses it by name.
func TestLabelSmoothing(t *testing.T) {
	cfg := map[string]any{"dataset": datasets + "breast_cancer.csv", "epochs": 40, "seed": 1, "label_smoothing": 0.2}
	res, _ := run(t, cfg, nil)
	// binary targets become 0.1 / 0.9: the cross-entropy is at least H(0.1)
	h := -(0.1*math.Log(0.1) + 0.9*math.Log(0.9))
	if res.Metrics["train_loss"] < h-1e-3 {
		t.Errorf("train_loss %v below the smoothed target's entropy %v", res.Metrics["train_loss"], h)
	}
	if res.Metrics["test_accuracy"] < 0.9 {
		t.Errorf("test_accuracy %v with label smoothing", res.Metrics["test_accuracy"])
	}
	_, err := Runner{}.Run(context.Background(), spec(map[string]any{"dataset": datasets + "abalone.csv", "label_smoothing": 0.1}, nil), &fakeReporter{})
	if err == nil || !strings.Contains(err.Error(), "label_smoothing") {
		t.Errorf("label smoothing on regression: %v", err)
	}
}
