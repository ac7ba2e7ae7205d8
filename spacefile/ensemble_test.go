package spacefile_test

import (
	"strings"
	"testing"

	"automl/spacefile"
)

// A plugin binary's trainer may keep models (the mlp trainer's tests
// check a built-in one that does).
var keeperBase = strings.Replace(warmBase, "plugin: funcs, config: {function: branin}", "plugin: ./keeper", 1)

// ensemble: the size alone or with a metric; the metric as the trainer
// names it (val_ prefix, loss) or as the ensemble package does.
func TestEnsembleSection(t *testing.T) {
	for _, tc := range []struct {
		text   string
		size   int
		metric string
	}{
		{"ensemble: {size: 20}", 20, ""},
		{"ensemble: 7", 7, ""},
		{"ensemble: {size: 5, metric: val_accuracy}", 5, "accuracy"},
		{"ensemble:\n  size: 1000\n  metric: loss\n", 1000, "log_loss"},
		{"ensemble: {metric: rmse, size: 3}", 3, "rmse"},
	} {
		f, err := spacefile.Parse("space.yaml", []byte(keeperBase+tc.text))
		if err != nil {
			t.Errorf("%s: %v", tc.text, err)
			continue
		}
		if f.Ensemble == nil || f.Ensemble.Size != tc.size || f.Ensemble.Metric != tc.metric {
			t.Errorf("%s: %+v, want size %d metric %q", tc.text, f.Ensemble, tc.size, tc.metric)
		}
	}
	f, err := spacefile.Parse("space.yaml", []byte(warmBase))
	if err != nil || f.Ensemble != nil {
		t.Errorf("no ensemble: section: %+v %v", f.Ensemble, err)
	}
}

// Bad ensemble sections are placed at file:line:column.
func TestEnsembleErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"ensemble: {size: 0}", "space.yaml:6:18: ensemble.size: 0 rounds; want 1 to 1000"},
		{"ensemble: {size: 1001}", "space.yaml:6:18: ensemble.size: 1001 rounds; want 1 to 1000"},
		{"ensemble: {size: 2.5}", "space.yaml:6:18: ensemble.size: want a whole number, got 2.5"},
		{"ensemble: {size: many}", "space.yaml:6:18: ensemble.size: want a finite number"},
		{"ensemble: {size: 5, metric: precision}", `space.yaml:6:29: ensemble.metric: unknown metric "precision"; allowed: accuracy, balanced_accuracy, f1, auc, log_loss, brier, rmse, mae, r2`},
		{"ensemble: {metric: rmse}", `space.yaml:6:11: ensemble: missing required key "size"`},
		{"ensemble: {sise: 5}", `space.yaml:6:12: ensemble: unknown key "sise" (did you mean "size"?)`},
		{"ensemble: [5]", "space.yaml:6:11: ensemble: want a mapping"},
		{"ensemble: {size: 5}\nobjectives:\n  - {metric: a, direction: minimize}\n  - {metric: b, direction: minimize}\n", "space.yaml:5:1: ensemble: a study of 2 objectives has no single best model"},
	} {
		base := keeperBase
		if strings.Contains(tc.text, "objectives") {
			base = strings.Replace(base, "objective: {metric: value, direction: minimize}\n", "", 1)
		}
		_, err := spacefile.Parse("space.yaml", []byte(base+tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %s", tc.text, err, tc.want)
		}
	}
}

// A built-in trainer that keeps no models cannot be asked for an ensemble.
func TestEnsembleNeedsModels(t *testing.T) {
	_, err := spacefile.Parse("space.yaml", []byte(warmBase+"ensemble: {size: 5}"))
	if want := "space.yaml:6:1: ensemble: the funcs trainer keeps no models to ensemble (the mlp trainer does)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %s", err, want)
	}
}
