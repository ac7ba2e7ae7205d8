package mlp

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"automl/plugins/mlp/data"
	"automl/search"
	"automl/spacefile"
)

// check validates a space file's mlp trainer section without loading the
// data set: every config key and parameter known and in range, the data
// set present with the named columns, the architecture parameters
// consistent, and the objective a metric the trainer reports.
func check(sp *spacefile.File) []error {
	var errs []error
	cfg := sp.Trainer.Config
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	scratch := &Settings{Config: defaultConfig(), Hyper: defaultHyper()}
	keyOK := true
	for _, k := range keys {
		var err error
		if ck, ok := lookupConfig(k); ok {
			err = ck.set(&scratch.Config, cfg[k])
		} else if hk, _, ok := lookupHyper(k); ok {
			err = hk.set(&scratch.Hyper, cfg[k])
		} else {
			err = fmt.Errorf("unknown key%s; the mlp trainer takes %s", suggest(k), strings.Join(allKeyNames(), ", "))
		}
		if err != nil {
			errs = append(errs, sp.ConfigError(k, "%v", err))
			keyOK = false
		}
	}
	if keyOK {
		if _, err := Parse(cfg, nil); err != nil {
			errs = append(errs, keyError(sp, err))
		}
	}
	errs = append(errs, checkDataset(sp, &scratch.Config)...)
	errs = append(errs, checkParams(sp)...)
	errs = append(errs, checkObjective(sp, &scratch.Config)...)
	if c := scratch.Config; sp.Ensemble != nil && c.Validation == 0 && c.Folds < 2 && c.SplitColumn == "" {
		errs = append(errs, sp.EnsembleError("needs validation predictions to select by, and validation is 0; set trainer.config.validation or remove ensemble:"))
	}
	if sp.Resource != "" && sp.Resource != "epochs" {
		errs = append(errs, sp.TrainerError("resource", "the mlp trainer's resource is epochs; set resource: epochs (got %q)", sp.Resource))
	}
	return errs
}

func keyError(sp *spacefile.File, err error) error {
	var ke *KeyError
	if errors.As(err, &ke) {
		if ke.Param {
			return sp.ParamError(ke.Key, "%s", ke.Msg)
		}
		return sp.ConfigError(ke.Key, "%s", ke.Msg)
	}
	return sp.ConfigError("dataset", "%v", err)
}

// checkDataset checks the data set exists and names the columns the
// config refers to, reading only the header.
func checkDataset(sp *spacefile.File, c *Config) []error {
	if c.Dataset == "" {
		return nil // reported by Parse
	}
	var header []string
	if data.IsSynthetic(c.Dataset) {
		if _, err := data.ParseSynthetic(c.Dataset); err != nil {
			return []error{sp.ConfigError("dataset", "%v", err)}
		}
		return nil
	}
	header, err := data.ReadHeader(c.Dataset)
	if err != nil {
		if errors.Is(err, data.ErrNoFile) {
			wd, _ := os.Getwd()
			return []error{sp.ConfigError("dataset", "no such file %s (paths are relative to the working directory, %s)", c.Dataset, wd)}
		}
		return []error{sp.ConfigError("dataset", "%v", err)}
	}
	var errs []error
	if !slices.Contains(header, c.Target) {
		key := "target"
		if _, set := sp.Trainer.Config["target"]; !set {
			key = "dataset"
		}
		errs = append(errs, sp.ConfigError(key, "%s has no column %q for the target; its columns are %s", c.Dataset, c.Target, strings.Join(header, ", ")))
	}
	if c.SplitColumn != "" && !slices.Contains(header, c.SplitColumn) {
		errs = append(errs, sp.ConfigError("split_column", "%s has no column %q; its columns are %s", c.Dataset, c.SplitColumn, strings.Join(header, ", ")))
	}
	for _, key := range []string{"categorical", "drop"} {
		cols := c.Categorical
		if key == "drop" {
			cols = c.Drop
		}
		for _, col := range cols {
			if !slices.Contains(header, col) {
				errs = append(errs, sp.ConfigError(key, "%s has no column %q; its columns are %s", c.Dataset, col, strings.Join(header, ", ")))
			}
		}
	}
	return errs
}

// checkParams checks each parameter is a hyperparameter whose every
// possible value is valid, and that the architecture parameters fit
// together.
func checkParams(sp *spacefile.File) []error {
	var errs []error
	maxUnits := 0
	for i := range sp.Space.Params {
		p := &sp.Space.Params[i]
		if _, ok := lookupConfig(p.Name); ok {
			errs = append(errs, sp.ParamError(p.Name, "is a data setting of the mlp trainer, not a hyperparameter; set it under trainer.config"))
			continue
		}
		hk, n, ok := lookupHyper(p.Name)
		if !ok {
			errs = append(errs, sp.ParamError(p.Name, "the mlp trainer has no such hyperparameter%s; it takes %s", suggest(p.Name), strings.Join(hyperNames(), ", ")))
			continue
		}
		maxUnits = max(maxUnits, n)
		if err := checkDomain(hk, p); err != nil {
			errs = append(errs, sp.ParamError(p.Name, "%v", err))
		}
	}
	num, hasNum := sp.Space.Param("num_layers")
	_, hasUnits := sp.Space.Param("units")
	if _, ok := sp.Space.Param("layers"); ok && (hasNum || hasUnits || maxUnits > 0) {
		errs = append(errs, sp.ParamError("layers", "layers gives every width; do not combine it with num_layers, units or units_i"))
	}
	if hasNum && maxUnits > 0 {
		top := int(num.High)
		if num.Type == search.CategoricalParam {
			top = 0
			for _, c := range num.Choices {
				if n, ok := c.Int(); ok {
					top = max(top, int(n))
				}
			}
		}
		for i := 1; i <= top && !hasUnits; i++ {
			if _, ok := sp.Space.Param(fmt.Sprintf("units_%d", i)); !ok {
				if _, fixed := sp.Trainer.Config[fmt.Sprintf("units_%d", i)]; !fixed {
					errs = append(errs, sp.ParamError("num_layers", "can be %d but there is no units_%d (nor units to fall back on)", top, i))
					break
				}
			}
		}
		for i := top + 1; i <= maxUnits; i++ {
			if _, ok := sp.Space.Param(fmt.Sprintf("units_%d", i)); ok {
				errs = append(errs, sp.ParamError(fmt.Sprintf("units_%d", i), "is never used: num_layers is at most %d", top))
			}
		}
	}
	return errs
}

// checkDomain runs every value a parameter can take (choices, or the
// bounds of a range) through the key's own validation.
func checkDomain(hk *hyperKey, p *search.Param) error {
	switch hk.kind {
	case 'i':
		if p.Type == search.FloatParam {
			return errors.New("takes integers; use type: int")
		}
	case 'b', 's', 'l':
		if p.Type != search.CategoricalParam {
			return fmt.Errorf("takes %s; use type: categorical", map[byte]string{'b': "true or false", 's': "one of " + strings.Join(hk.choices, ", "), 'l': "layer strings such as \"128-64\""}[hk.kind])
		}
	}
	h := defaultHyper()
	if p.Type == search.CategoricalParam {
		for _, c := range p.Choices {
			if err := hk.set(&h, c.Any()); err != nil {
				return fmt.Errorf("choice %v: %v", c, err)
			}
		}
		return nil
	}
	lo, hi := any(p.Low), any(p.High)
	if p.Type == search.IntParam {
		lo, hi = int64(p.Low), int64(p.High)
	}
	for _, v := range []any{lo, hi} {
		if err := hk.set(&h, v); err != nil {
			return fmt.Errorf("bound %v: %v", v, err)
		}
	}
	return nil
}

// checkObjective checks the objective is a metric the trainer reports for
// the configured task (any task when it is auto-detected).
func checkObjective(sp *spacefile.File, c *Config) []error {
	val := c.Validation > 0 || c.Folds >= 2 || c.SplitColumn != ""
	test := c.Test > 0 || c.SplitColumn != ""
	var names []string
	tasks := []data.Task{data.Binary, data.Multiclass, data.Regression}
	switch {
	case c.Task == data.Regression:
		tasks = tasks[2:]
	case c.Task == data.Multiclass:
		tasks = tasks[1:2]
	case c.Task == data.Binary:
		tasks = tasks[:1]
	case c.ForceClass:
		tasks = tasks[:2]
	}
	for _, t := range tasks {
		for _, m := range reportedMetrics(t, val, test) {
			if !slices.Contains(names, m) {
				names = append(names, m)
			}
		}
	}
	names = append(append(names, "best_epoch"), costMetrics...)
	if m := sp.Objective.Metric; m != "" && !slices.Contains(names, m) {
		hint := ""
		if strings.HasPrefix(m, "val_") && !val {
			hint = " (validation is 0, so no val_ metrics)"
		}
		return []error{sp.TrainerError("objective.metric", "%q is not reported by the mlp trainer%s; it reports %s", m, hint, strings.Join(names, ", "))}
	}
	return nil
}
