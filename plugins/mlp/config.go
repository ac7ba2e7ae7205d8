package mlp

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
	"automl/search/value"
)

// Config are the trainer's data and run settings: trainer.config keys
// that cannot be searched.
type Config struct {
	Dataset     string
	Target      string
	Task        data.Task
	ForceClass  bool // task: classification
	Validation  float64
	Test        float64
	Folds       int
	SplitSeed   uint64
	Missing     []string
	Categorical []string
	Drop        []string
	Impute      string
	Indicator   bool
	Standardize bool
	// NumTransform, MaxLevels and CatEncoding: see data.PrepOptions.
	NumTransform string
	MaxLevels    int
	CatEncoding  string
	Monitor      string
	Threads      int
	Seed         uint64
	HasSeed      bool

	SplitColumn string

	validationSet, testSet bool
}

func defaultConfig() Config {
	return Config{Target: "target", Validation: 0.2, Test: 0.2, Impute: "median", Standardize: true, Monitor: "val_loss"}
}

// configKey is one data or run setting.
type configKey struct {
	name string
	doc  string
	set  func(c *Config, v any) error
}

var configKeys = []configKey{
	{"dataset", "CSV or CSV.gz file with a header (relative to the working directory), or synthetic:classification?n=...&features=... / synthetic:regression?... (required)", func(c *Config, v any) error {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return fmt.Errorf("want a file name or synthetic:..., got %v", describe(v))
		}
		c.Dataset = s
		return nil
	}},
	{"target", "the column to predict (default target)", func(c *Config, v any) error {
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("want a column name, got %v", describe(v))
		}
		c.Target = s
		return nil
	}},
	{"task", "auto | binary | multiclass | classification | regression (default auto: see Task detection)", func(c *Config, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a task name, got %v", describe(v))
		}
		var err error
		c.Task, c.ForceClass, err = data.ParseTask(s)
		return err
	}},
	{"validation", "fraction of all rows held out for validation metrics and early stopping ([0, 1), default 0.2)", func(c *Config, v any) (err error) {
		c.Validation, err = floatIn(v, 0, 1, true, false)
		c.validationSet = true
		return
	}},
	{"test", "fraction of all rows held out for the final test metrics ([0, 1), default 0.2; 0: no test metrics)", func(c *Config, v any) (err error) {
		c.Test, err = floatIn(v, 0, 1, true, false)
		c.testSet = true
		return
	}},
	{"folds", "k-fold cross-validation over the non-test rows instead of one validation split (int >= 2; default 0 = off); metrics are the mean over folds", func(c *Config, v any) (err error) {
		c.Folds, err = intIn(v, 0, 100)
		if err == nil && c.Folds == 1 {
			err = errors.New("want 0 (off) or at least 2 folds, got 1")
		}
		return
	}},
	{"split_column", "a column of train / validation (or val) / test marking a fixed split, used instead of validation, test and split_seed (it is not a feature)", func(c *Config, v any) error {
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("want a column name, got %v", describe(v))
		}
		c.SplitColumn = s
		return nil
	}},
	{"split_seed", "seed of the train/validation/test split, the same for every trial of a study (int >= 0, default 0)", func(c *Config, v any) error {
		var err error
		c.SplitSeed, err = seedValue(v)
		return err
	}},
	{"missing_values", "cells read as missing (list; default \"\", ?, NA, N/A, NaN, nan, null)", func(c *Config, v any) (err error) {
		c.Missing, err = stringList(v)
		if c.Missing == nil {
			c.Missing = []string{}
		}
		return
	}},
	{"categorical", "columns to treat as categories even if they hold numbers (list)", func(c *Config, v any) (err error) {
		c.Categorical, err = stringList(v)
		return
	}},
	{"drop", "columns to ignore, such as identifiers (list)", func(c *Config, v any) (err error) {
		c.Drop, err = stringList(v)
		return
	}},
	{"impute", "missing numbers: median | mean of the training rows (default median); missing categories get the most frequent", func(c *Config, v any) (err error) {
		c.Impute, err = enum(v, data.ImputeNames)
		return
	}},
	{"missing_indicator", "add a 0/1 column per feature with missing training values (bool, default false)", func(c *Config, v any) (err error) {
		c.Indicator, err = boolean(v)
		return
	}},
	{"standardize", "scale numeric features to mean 0, variance 1 on the training rows (bool, default true)", func(c *Config, v any) (err error) {
		c.Standardize, err = boolean(v)
		return
	}},
	{"numeric_transform", "numbers before scaling: none | log (sign(x)*log1p|x| on columns with training skewness > 2) | quantile (to a normal through 1,000 training quantiles) (default none)", func(c *Config, v any) (err error) {
		c.NumTransform, err = enum(v, data.TransformNames)
		return
	}},
	{"max_levels", "one-hot columns for the K most frequent training levels of each categorical column, the rest and unseen levels in one (other) column (int >= 0, default 0 = every level)", func(c *Config, v any) (err error) {
		c.MaxLevels, err = intIn(v, 0, 1<<30)
		return
	}},
	{"categorical_encoding", "onehot | onehot+frequency (adds the level's training frequency as a number) (default onehot)", func(c *Config, v any) (err error) {
		c.CatEncoding, err = enum(v, data.EncodingNames)
		return
	}},
	{"monitor", "metric watched by early stopping: val_loss (default) or another val_ metric of the task", func(c *Config, v any) error {
		s, ok := v.(string)
		if !ok || !slices.Contains(allValMetrics, s) {
			return fmt.Errorf("want one of %s, got %v", strings.Join(allValMetrics, ", "), describe(v))
		}
		c.Monitor = s
		return nil
	}},
	{"threads", "goroutines for the matrix kernels (int >= 0, default 0 = GOMAXPROCS); results do not depend on it", func(c *Config, v any) (err error) {
		c.Threads, err = intIn(v, 0, 1024)
		return
	}},
	{"seed", "seed of initialisation, shuffling and dropout (int >= 0; default: the trial's seed from the study)", func(c *Config, v any) error {
		var err error
		c.Seed, err = seedValue(v)
		c.HasSeed = true
		return err
	}},
}

// seedValue reads a seed: an integer in [0, 2^53] (what a YAML or JSON
// number holds exactly).
func seedValue(v any) (uint64, error) {
	x, ok := number(v)
	if !ok || x != math.Trunc(x) || x < 0 || x > 1<<53 {
		return 0, fmt.Errorf("want an integer in [0, 2^53], got %v", describe(v))
	}
	return uint64(x), nil
}

func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			switch s := e.(type) {
			case string:
				out = append(out, s)
			case nil:
				out = append(out, "")
			default:
				out = append(out, fmt.Sprint(s))
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of names, got %v", describe(v))
}

func lookupConfig(name string) (*configKey, bool) {
	for i := range configKeys {
		if configKeys[i].name == name {
			return &configKeys[i], true
		}
	}
	return nil, false
}

// KeyError is a problem with one trainer config key or parameter.
type KeyError struct {
	Key   string
	Param bool // a parameter of the space rather than a config key
	Msg   string
}

func (e *KeyError) Error() string {
	if e.Param {
		return fmt.Sprintf("parameter %q: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("trainer config %s: %s", e.Key, e.Msg)
}

// Settings are everything a trial needs besides the data.
type Settings struct {
	Config
	Hyper
	Hidden []int
}

// Parse reads the trainer config and the trial's parameters. Config keys
// are data settings or fixed hyperparameters; parameters may only be
// hyperparameters, and override the config.
func Parse(cfg map[string]any, params value.Values) (*Settings, error) {
	s := &Settings{Config: defaultConfig(), Hyper: defaultHyper()}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg[k]
		if ck, ok := lookupConfig(k); ok {
			if err := ck.set(&s.Config, v); err != nil {
				return nil, &KeyError{Key: k, Msg: err.Error()}
			}
			continue
		}
		if hk, _, ok := lookupHyper(k); ok {
			if err := hk.set(&s.Hyper, v); err != nil {
				return nil, &KeyError{Key: k, Msg: err.Error()}
			}
			continue
		}
		return nil, &KeyError{Key: k, Msg: "unknown key" + suggest(k) + "; the mlp trainer takes " + strings.Join(allKeyNames(), ", ")}
	}
	for _, nv := range params {
		if _, ok := lookupConfig(nv.Name); ok {
			return nil, &KeyError{Key: nv.Name, Param: true, Msg: "is a data setting of the mlp trainer, not a hyperparameter; set it under trainer.config"}
		}
		hk, _, ok := lookupHyper(nv.Name)
		if !ok {
			return nil, &KeyError{Key: nv.Name, Param: true, Msg: "the mlp trainer has no such hyperparameter" + suggest(nv.Name) + "; it takes " + strings.Join(hyperNames(), ", ")}
		}
		if err := hk.set(&s.Hyper, nv.Value.Any()); err != nil {
			return nil, &KeyError{Key: nv.Name, Param: true, Msg: err.Error()}
		}
	}
	if s.Dataset == "" {
		return nil, &KeyError{Key: "dataset", Msg: "missing: a CSV file (e.g. testdata/datasets/iris.csv) or synthetic:classification?n=1000"}
	}
	if s.Validation+s.Test >= 1 {
		return nil, &KeyError{Key: "validation", Msg: fmt.Sprintf("validation %v + test %v leave no rows to train on", s.Validation, s.Test)}
	}
	if s.SplitColumn != "" {
		switch {
		case s.Folds >= 2:
			return nil, &KeyError{Key: "split_column", Msg: "split_column and folds exclude each other"}
		case s.validationSet || s.testSet:
			return nil, &KeyError{Key: "split_column", Msg: "split_column fixes the split; remove validation and test"}
		}
	}
	if s.Folds >= 2 {
		if s.validationSet && s.Validation > 0 {
			return nil, &KeyError{Key: "folds", Msg: "folds and validation exclude each other: with folds each fold is validated in turn; remove validation"}
		}
		s.Validation = 0
	}
	if s.Optimizer == nn.AdamW && !s.weightDecay {
		s.WeightDecay = 0.01
	}
	hidden, err := s.hidden()
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			ke.Param = paramNamed(params, ke.Key)
		}
		return nil, err
	}
	s.Hidden = hidden
	return s, nil
}

func paramNamed(vs value.Values, name string) bool {
	_, ok := vs.Get(name)
	return ok
}

func allKeyNames() []string {
	var out []string
	for _, k := range configKeys {
		out = append(out, k.name)
	}
	return append(out, hyperNames()...)
}

// suggest returns ` (did you mean "x"?)` for a near miss, or "".
func suggest(word string) string {
	best, bestD := "", 1<<30
	for _, c := range allKeyNames() {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(2, len(word)/3) {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
