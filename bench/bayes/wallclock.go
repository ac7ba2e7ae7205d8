package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"automl/search/benchfn"
)

// wallTargets are the regret targets of the wall-clock benchmark: the
// median regret GP reaches after 50 sequential trials (q = 1, 20 seeds,
// the "Median simple regret after 50 trials" table of RESULTS.md).
var wallTargets = map[string]float64{
	"branin": 2.48e-04, "hartmann6": 0.125, "rosenbrock4": 10.6, "ackley5": 6.61,
	"levy4": 0.172, "styblinski_tang4": 17.1, "mixed": 1.39,
}

// wallTrial is one trial of a wall-clock study, its times in seconds since
// the study's first trial was created (ours) or since optimize was called
// (Optuna's): Created when the sampler's suggestion was made (Optuna: the
// objective was entered), Start and End the simulated training.
type wallTrial struct {
	Created float64 `json:"created"`
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Value   float64 `json:"value"`
}

// wallStudy is one wall-clock study.
type wallStudy struct {
	Sampler string      `json:"sampler"`
	Func    string      `json:"func"`
	Seed    uint64      `json:"seed"`
	Slots   int         `json:"slots"`
	Trials  []wallTrial `json:"trials"`
	Load    string      `json:"load"` // /proc/loadavg before the study
}

type wallConfig struct {
	funcs, ours []string
	optuna      bool
	seeds       int
	slots       []int
	trials      int
	median      time.Duration
	sigma       float64
	python, bin string
	out         string
}

// runWallclock runs the wall-clock studies one at a time (each samples on
// its own, so concurrent studies would only add CPU contention), appending
// each to cfg.out as it ends, and prints the tables.
func runWallclock(w io.Writer, cfg wallConfig) error {
	dir, err := os.MkdirTemp("", "automl-wallclock-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if cfg.bin == "" {
		cfg.bin = filepath.Join(dir, "automl")
		build := exec.Command("go", "build", "-o", cfg.bin, "automl/cmd/automl")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build automl: %w", err)
		}
	}
	var out *os.File
	if cfg.out != "" {
		if out, err = os.OpenFile(cfg.out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err != nil {
			return err
		}
		defer out.Close()
	}
	var studies []wallStudy
	for _, slots := range cfg.slots {
		for _, fn := range cfg.funcs {
			f, ok := benchfn.Get(fn)
			if !ok {
				return fmt.Errorf("unknown function %q", fn)
			}
			for seed := range uint64(cfg.seeds) {
				samplers := append([]string{}, cfg.ours...)
				if cfg.optuna {
					samplers = append(samplers, "optuna-tpe")
				}
				for _, s := range samplers {
					load := loadavg()
					t0 := time.Now()
					var st wallStudy
					if s == "optuna-tpe" {
						st, err = optunaWall(cfg, fn, seed, slots)
					} else {
						st, err = oursWall(cfg, filepath.Join(dir, fmt.Sprintf("%s-%s-%d-%d", s, fn, seed, slots)), f, s, seed, slots)
					}
					if err != nil {
						return fmt.Errorf("%s on %s, seed %d, %d slots: %w", s, fn, seed, slots, err)
					}
					st.Load = load
					studies = append(studies, st)
					fmt.Fprintf(os.Stderr, "wallclock: %s %s seed %d slots %d: %.1fs (load %s)\n", st.Sampler, fn, seed, slots, time.Since(t0).Seconds(), load)
					if out != nil {
						if err := json.NewEncoder(out).Encode(st); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	printWallTables(w, studies)
	return nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// oursWall runs one study through the automl binary: `automl search
// --workers SLOTS` (scheduler, embedded NATS, the funcs trainer in worker
// slots, bbolt on disk), then reads the trials' times back.
func oursWall(cfg wallConfig, dir string, f *benchfn.Function, algo string, seed uint64, slots int) (wallStudy, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return wallStudy{}, err
	}
	opts := "" // -options, as the simulated studies get them
	if s := ourSamplers[algo]; s.Options != "" {
		opts = ", " + s.Options
	}
	space := fmt.Sprintf("study: wall\nobjective: {metric: value, direction: minimize}\nbudget: {trials: %d}\n"+
		"algorithm: {name: %s, seed: %d%s}\ntrainer: {plugin: funcs, config: {function: %s, duration: {median: %s, sigma: %g}}}\nparameters:\n%s",
		cfg.trials, algo, seed, opts, f.Name, cfg.median, cfg.sigma, f.SpaceYAML)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		return wallStudy{}, err
	}
	cmd := exec.Command(cfg.bin, "search", "-space", "space.yaml", "-q", "--top", "0", "--workers", strconv.Itoa(slots))
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return wallStudy{}, fmt.Errorf("automl search: %w\n%s", err, b)
	}
	b, err := exec.Command(cfg.bin, "trials", "wall", "--db", filepath.Join(dir, "automl.db"), "--json").Output()
	if err != nil {
		return wallStudy{}, fmt.Errorf("automl trials: %w", err)
	}
	var tr struct {
		Trials []struct {
			State                      string
			Value                      float64
			Created, Started, Finished time.Time
		}
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		return wallStudy{}, fmt.Errorf("automl trials: %w", err)
	}
	st := wallStudy{Sampler: "automl-" + algo, Func: f.Name, Seed: seed, Slots: slots}
	var t0 time.Time
	for _, t := range tr.Trials {
		if t.State != "completed" {
			return st, fmt.Errorf("trial %s, want every trial completed", t.State)
		}
		if t0.IsZero() || t.Created.Before(t0) {
			t0 = t.Created
		}
	}
	for _, t := range tr.Trials {
		st.Trials = append(st.Trials, wallTrial{Created: t.Created.Sub(t0).Seconds(), Start: t.Started.Sub(t0).Seconds(), End: t.Finished.Sub(t0).Seconds(), Value: t.Value})
	}
	if len(st.Trials) != cfg.trials {
		return st, fmt.Errorf("%d trials, want %d", len(st.Trials), cfg.trials)
	}
	return st, nil
}

// optunaWall runs one Optuna study with n_jobs = slots (optuna_side.py --wallclock).
func optunaWall(cfg wallConfig, fn string, seed uint64, slots int) (wallStudy, error) {
	cmd := exec.Command(cfg.python, filepath.Join(sourceDir(), "optuna_side.py"), "--wallclock", strconv.Itoa(slots),
		"--funcs", fn, "--seed", strconv.FormatUint(seed, 10), "--trials", strconv.Itoa(cfg.trials),
		"--median", strconv.FormatFloat(cfg.median.Seconds(), 'g', -1, 64), "--sigma", strconv.FormatFloat(cfg.sigma, 'g', -1, 64))
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return wallStudy{}, fmt.Errorf("optuna side: %w", err)
	}
	var st wallStudy
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("optuna side output: %w", err)
	}
	return st, nil
}

// wallStats are the figures of one study.
type wallStats struct {
	toTarget float64 // seconds until the regret fell under the target; +Inf: not within the study
	wall     float64 // seconds until the last trial ended
	util     float64 // busy slot-seconds / (slots x wall)
	idle     []float64
	suggest  []float64
}

// statsOf computes a study's figures. A slot's wait is matched in order:
// the i-th trial to end frees a slot, the (slots+i)-th to start fills one
// (at most slots trials run at once, so that start comes after that end);
// idle is the start minus the end, suggest the same with the creation
// (the scheduler's suggestion) instead of the start.
func statsOf(s wallStudy, target float64) wallStats {
	f, _ := benchfn.Get(s.Func)
	var st wallStats
	st.toTarget = math.Inf(1)
	var starts, ends, created []float64
	var busy float64
	for _, t := range s.Trials {
		if f.Regret(t.Value) <= target && t.End < st.toTarget {
			st.toTarget = t.End
		}
		st.wall = math.Max(st.wall, t.End)
		busy += t.End - t.Start
		starts, ends, created = append(starts, t.Start), append(ends, t.End), append(created, t.Created)
	}
	st.util = busy / (float64(s.Slots) * st.wall)
	sort.Float64s(starts)
	sort.Float64s(ends)
	sort.Float64s(created)
	for i := 0; i+s.Slots < len(starts); i++ {
		st.idle = append(st.idle, starts[i+s.Slots]-ends[i])
		st.suggest = append(st.suggest, created[i+s.Slots]-ends[i])
	}
	return st
}

// nearest is the nearest-rank quantile (of an unsorted copy): with
// studies that did not reach the target (+Inf) an interpolated one is NaN.
func nearest(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	return s[int(math.Round(p*float64(len(s)-1)))]
}

func fmtSec(x float64) string {
	if math.IsInf(x, 1) {
		return "not reached"
	}
	return fmt.Sprintf("%.1f", x)
}

func printWallTables(w io.Writer, studies []wallStudy) {
	type key struct {
		slots   int
		fn, smp string
	}
	groups := map[key][]wallStats{}
	var slotsL []int
	var fns, smps []string
	seen := map[string]bool{}
	add := func(list *[]string, s string) {
		if !seen[s] {
			seen[s] = true
			*list = append(*list, s)
		}
	}
	for _, s := range studies {
		k := key{s.Slots, s.Func, s.Sampler}
		if _, ok := groups[k]; !ok && !seen[fmt.Sprint(s.Slots)] {
			seen[fmt.Sprint(s.Slots)] = true
			slotsL = append(slotsL, s.Slots)
		}
		add(&fns, s.Func)
		add(&smps, s.Sampler)
		groups[k] = append(groups[k], statsOf(s, wallTargets[s.Func]))
	}
	sort.Ints(slotsL)
	sort.Strings(smps)
	for _, slots := range slotsL {
		fmt.Fprintf(w, "\n#### Wall-clock seconds to the target regret, %d slots (median over seeds; per seed in brackets, \"> W\": not reached in the study's W seconds)\n\n", slots)
		fmt.Fprintf(w, "| function (target) | %s | best of ours / optuna-tpe |\n|---|%s---|\n", strings.Join(smps, " | "), strings.Repeat("---|", len(smps)))
		for _, fn := range fns {
			row := []string{fmt.Sprintf("%s (%.3g)", fn, wallTargets[fn])}
			med := map[string]float64{}
			var optunaLB float64 // Optuna's median time, a study that missed the target counted at its wall: a lower bound
			for _, smp := range smps {
				g := groups[key{slots, fn, smp}]
				var ts, lb []float64
				var per []string
				for _, st := range g {
					ts = append(ts, st.toTarget)
					lb = append(lb, math.Min(st.toTarget, st.wall))
					p := fmtSec(st.toTarget)
					if math.IsInf(st.toTarget, 1) {
						p = fmt.Sprintf("> %.1f", st.wall)
					}
					per = append(per, p)
				}
				med[smp] = nearest(ts, 0.5)
				if smp == "optuna-tpe" {
					optunaLB = nearest(lb, 0.5)
				}
				row = append(row, fmt.Sprintf("%s (%s)", fmtSec(med[smp]), strings.Join(per, ", ")))
			}
			best := math.Inf(1)
			for smp, m := range med {
				if strings.HasPrefix(smp, "automl-") && smp != "automl-random" {
					best = math.Min(best, m)
				}
			}
			ratio := "n/a"
			if o, ok := med["optuna-tpe"]; ok {
				switch {
				case math.IsInf(best, 1):
					ratio = "ours not reached"
				case math.IsInf(o, 1):
					// Optuna's median is past its study's end: the ratio is at most this.
					ratio = fmt.Sprintf("< %.2f", best/optunaLB)
				default:
					ratio = fmt.Sprintf("%.2f", best/o)
				}
			}
			fmt.Fprintf(w, "| %s | %s |\n", strings.Join(row, " | "), ratio)
		}
		fmt.Fprintf(w, "\n#### Slots, %d slots: utilisation (busy slot-seconds / (slots x wall)) and study wall (medians over studies); waits over all studies' slot turns\n\n", slots)
		fmt.Fprintf(w, "| sampler | utilisation | wall s | a freed slot's wait for the next start: median / p95 ms | freed slot to the next trial's creation: median / p95 ms | loads (1, 5, 15 min) |\n|---|---|---|---|---|---|\n")
		for _, smp := range smps {
			var util, wall, idle, sugg []float64
			var loads []string
			for _, fn := range fns {
				for _, st := range groups[key{slots, fn, smp}] {
					util, wall = append(util, st.util), append(wall, st.wall)
					idle, sugg = append(idle, st.idle...), append(sugg, st.suggest...)
				}
			}
			for _, s := range studies {
				if s.Slots == slots && s.Sampler == smp {
					loads = append(loads, s.Load)
				}
			}
			sort.Slice(loads, func(i, j int) bool { return firstField(loads[i]) < firstField(loads[j]) })
			lr := ""
			if len(loads) > 0 {
				lr = loads[0] + " to " + loads[len(loads)-1]
			}
			fmt.Fprintf(w, "| %s | %.1f%% | %.1f | %.0f / %.0f | %.0f / %.0f | %s |\n", smp, 100*nearest(util, 0.5), nearest(wall, 0.5),
				1000*nearest(idle, 0.5), 1000*nearest(idle, 0.95), 1000*nearest(sugg, 0.5), 1000*nearest(sugg, 0.95), lr)
		}
	}
}

func firstField(s string) float64 {
	x, _ := strconv.ParseFloat(strings.Fields(s + " 0")[0], 64)
	return x
}

// readWall reads the studies of earlier wall-clock runs.
func readWall(path string) ([]wallStudy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []wallStudy
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var s wallStudy
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, s)
	}
	return out, nil
}
