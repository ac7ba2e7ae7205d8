package spacefile_test

import (
	"strings"
	"testing"

	"automl/spacefile"
)

const keepBase = "objective: {metric: value, direction: minimize}\ntrainer: {plugin: funcs, config: {function: branin}}\nparameters:\n  x0: {type: float, low: -5, high: 10}\n  x1: {type: float, low: 0, high: 15}\n"

// keep_models is K (>= 0) or all; unset it is DefaultKeepModels; anything
// else is refused at its line and column.
func TestKeepModels(t *testing.T) {
	for line, want := range map[string]int{
		"":                   spacefile.DefaultKeepModels,
		"keep_models: 2\n":   2,
		"keep_models: 0\n":   0,
		"keep_models: all\n": spacefile.KeepAllModels,
	} {
		f, err := spacefile.Parse("s.yaml", []byte(keepBase+line))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if f.KeepModels != want {
			t.Errorf("%q: KeepModels %d, want %d", line, f.KeepModels, want)
		}
	}
	for line, want := range map[string]string{
		"keep_models: -1\n":      "s.yaml:6:14: keep_models: must be >= 0 (0 keeps no model file) or all, got -1",
		"keep_models: best\n":    `s.yaml:6:14: keep_models: want a whole number >= 0 (the best K completed trials keep their model file) or all, got "best"`,
		"keep_models: 2.5\n":     "s.yaml:6:14: keep_models: want a whole number, got 2.5",
		"keep_models: [1]\n":     "s.yaml:6:14: keep_models: want a finite number",
		"keep_modles: 3\n":       "s.yaml:6:1",
		"keep_models: \"all\"\n": "", // quoted, it is still the word all
	} {
		_, err := spacefile.Parse("s.yaml", []byte(keepBase+line))
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", line, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", line, err, want)
		}
	}
}
