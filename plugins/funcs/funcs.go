// Package funcs is the `funcs` trainer: it evaluates a benchmark function
// of search/benchfn at the trial's parameters, for demos, tests and
// benchmarks of the search itself. Over a resource span it reports a fake
// learning curve that converges to the function's value, so multi-fidelity
// code can be exercised without training anything.
//
// Config keys:
//
//	function      branin | hartmann6 | rosenbrock4 | ackley5 | levy4 | styblinski_tang4 | mixed,
//	              or zdt1, of two objectives (required)
//	sleep         wall time per trial, e.g. 10ms (default 0), to simulate training
//	duration      instead of sleep: a wall time per trial drawn from a log-normal,
//	              {median: 1s, sigma: 0.5} (median x exp(sigma x z)), seeded by the
//	              trial's seed and id, for wall-clock benchmarks with uneven trials
//	noise         standard deviation of Gaussian noise added to the value (default 0)
//	max_resource  the resource at which the fake curve reaches the value (default: the job's To)
//	record        a file to which every evaluation is appended as a JSON line
//	              {"trial": id, "attempt": n, "value": v}: an audit trail for
//	              checking that no trial is evaluated twice
//
// The trainer reports the metric "value"; zdt1 (ZDT1 in x0..x5, both
// minimised) reports f1 and f2 instead, for studies of several
// objectives and constrained ones.
package funcs

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"automl/search/benchfn"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

// Metric is the name of the metric the trainer reports.
const Metric = "value"

var configKeys = []string{"function", "sleep", "duration", "noise", "max_resource", "record"}

// Config is the trainer's parsed config.
type Config struct {
	Function    *benchfn.Function
	Sleep       time.Duration
	Duration    *Duration // nil: every trial takes Sleep
	Noise       float64
	MaxResource float64
	Record      string
}

// ParseConfig reads the trainer config of a spec or a space file.
func ParseConfig(cfg map[string]any) (Config, error) {
	var c Config
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg[k]
		switch k {
		case "function":
			name, _ := v.(string)
			f, ok := lookup(name)
			if !ok {
				return c, fmt.Errorf("function: unknown function %v; one of %s", v, strings.Join(functionNames(), ", "))
			}
			c.Function = f
		case "sleep":
			s, _ := v.(string)
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				return c, fmt.Errorf("sleep: want a duration such as 10ms, got %v", v)
			}
			c.Sleep = d
		case "duration":
			d, err := parseDuration(v)
			if err != nil {
				return c, err
			}
			c.Duration = d
		case "noise":
			x, ok := number(v)
			if !ok || x < 0 {
				return c, fmt.Errorf("noise: want a number >= 0, got %v", v)
			}
			c.Noise = x
		case "max_resource":
			x, ok := number(v)
			if !ok || x <= 0 {
				return c, fmt.Errorf("max_resource: want a number > 0, got %v", v)
			}
			c.MaxResource = x
		case "record":
			s, ok := v.(string)
			if !ok || s == "" {
				return c, fmt.Errorf("record: want a file name, got %v", v)
			}
			c.Record = s
		default:
			return c, fmt.Errorf("%s: unknown key; the funcs trainer takes %s", k, strings.Join(configKeys, ", "))
		}
	}
	if c.Duration != nil && c.Sleep > 0 {
		return c, fmt.Errorf("duration: give sleep (a fixed time) or duration (a drawn one), not both")
	}
	if c.Function == nil {
		return c, fmt.Errorf("function: missing; one of %s", strings.Join(functionNames(), ", "))
	}
	return c, nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Runner evaluates benchmark functions. It is stateless and safe for
// concurrent use.
type Runner struct{}

// Run evaluates the function at the spec's parameters.
func (Runner) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	cfg, err := ParseConfig(spec.Trainer.Config)
	if err != nil {
		return trial.Result{}, fmt.Errorf("funcs trainer config: %w", err)
	}
	vals, err := values(cfg, spec.Params)
	if err != nil {
		return trial.Result{}, err
	}
	rng := rand.New(rand.NewPCG(spec.Seed, uint64(spec.Key.ID)))
	names := reported(cfg.Function) // in order: the noise is drawn alike on every run
	if cfg.Noise > 0 {
		for _, k := range names {
			vals[k] += cfg.Noise * rng.NormFloat64()
		}
	}
	f := vals[names[0]]
	if spec.To <= 0 {
		if err := sleep(ctx, cfg.trialSleep(spec)); err != nil {
			return trial.Result{Outcome: trial.ExitAborted}, nil
		}
		if err := record(cfg.Record, spec, f); err != nil {
			return trial.Result{}, err
		}
		return trial.Result{Outcome: trial.ExitDone, Metrics: vals}, nil
	}
	// A fake learning curve over the span: starts high, reaches f at max_resource.
	maxR := cfg.MaxResource
	if maxR == 0 {
		maxR = spec.MaxResource
	}
	if maxR == 0 {
		maxR = spec.To
	}
	if err := resume(spec); err != nil {
		return trial.Result{}, err
	}
	curve := func(t float64) trial.Metrics {
		m := trial.Metrics{}
		for k, f := range vals {
			m[k] = f + (1+math.Abs(f))*(math.Exp(-3*t/maxR)-math.Exp(-3))
		}
		return m
	}
	steps := math.Ceil(spec.To - spec.From)
	total := cfg.trialSleep(spec)
	var last trial.Metrics
	for t := spec.From + 1; t <= spec.To+1e-9; t++ {
		if err := sleep(ctx, time.Duration(float64(total)/math.Max(1, steps))); err != nil {
			return trial.Result{Outcome: trial.ExitAborted, Step: t - 1}, nil
		}
		last = curve(t)
		d, err := rep.Report(ctx, t, last)
		if err != nil {
			return trial.Result{}, err
		}
		if d == trial.Stop {
			return trial.Result{Outcome: trial.ExitPruned, Step: t, Metrics: last}, nil
		}
	}
	if err := record(cfg.Record, spec, last[names[0]]); err != nil {
		return trial.Result{}, err
	}
	res := trial.Result{Outcome: trial.ExitDone, Step: spec.To, Metrics: last}
	if spec.CheckpointDir != "" {
		// The curve depends only on the step, so the step is the whole
		// state; keeping it exercises the checkpoint path (upload, another
		// worker's download, the resume check) like a real trainer.
		if err := os.WriteFile(filepath.Join(spec.CheckpointDir, checkpointFile), []byte(strconv.FormatFloat(spec.To, 'g', -1, 64)), 0o644); err != nil {
			return trial.Result{}, fmt.Errorf("funcs trainer: save checkpoint: %w", err)
		}
		res.Checkpoint = checkpointFile
	}
	return res, nil
}

const checkpointFile = "funcs.ckpt"

// resume checks that a job continuing at From > 0 got the checkpoint of
// that step (when its worker provides a checkpoint directory).
func resume(spec trial.Spec) error {
	if spec.From <= 0 || spec.CheckpointDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(spec.CheckpointDir, checkpointFile))
	if err != nil {
		return fmt.Errorf("funcs trainer: resume at step %g: %w", spec.From, err)
	}
	if step, err := strconv.ParseFloat(string(b), 64); err != nil || step != spec.From {
		return fmt.Errorf("funcs trainer: resume at step %g, but the checkpoint holds step %q", spec.From, b)
	}
	return nil
}

// record appends one evaluation to the audit file (one write call, so
// concurrent slots never interleave within a line).
func record(path string, spec trial.Spec, v float64) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("funcs trainer: record: %w", err)
	}
	line := fmt.Sprintf("{\"trial\": %d, \"attempt\": %d, \"value\": %s}\n", spec.Key.ID, spec.Key.Attempt, strconv.FormatFloat(v, 'g', -1, 64))
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// check validates a space file's funcs trainer section: a known function,
// exactly its parameters, and the metric it reports.
func check(s *spacefile.File) []error {
	var errs []error
	cfg, err := ParseConfig(s.Trainer.Config)
	if err != nil {
		key, _, _ := strings.Cut(err.Error(), ":")
		return []error{s.ConfigError(key, "%s", strings.TrimPrefix(err.Error(), key+": "))}
	}
	want := map[string]bool{}
	for _, nv := range cfg.Function.Argmin {
		want[nv.Name] = true
		if _, ok := s.Space.Param(nv.Name); !ok {
			errs = append(errs, s.ConfigError("function", "%s needs parameter %q; define it under parameters", cfg.Function.Name, nv.Name))
		}
	}
	for _, p := range s.Space.Params {
		if !want[p.Name] {
			errs = append(errs, s.ParamError(p.Name, "the funcs trainer's %s does not take this parameter (it takes %s)", cfg.Function.Name, names(cfg.Function.Argmin)))
		}
	}
	return append(errs, checkMetrics(s, cfg.Function)...)
}

func names(vs value.Values) string {
	n := make([]string, len(vs))
	for i, v := range vs {
		n[i] = v.Name
	}
	return strings.Join(n, ", ")
}

func init() {
	spacefile.RegisterTrainer(spacefile.TrainerSpec{Name: "funcs", Aliases: []string{"func"}, Check: check})
}
