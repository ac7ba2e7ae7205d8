package funcs

import (
	"context"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"automl/search/benchfn"
	"automl/trial"
)

func TestDurationIsLogNormalAndSeededByTrial(t *testing.T) {
	cfg, err := ParseConfig(map[string]any{"function": "branin", "duration": map[string]any{"median": "1s", "sigma": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	var ds []float64
	for id := range 2000 {
		s := trial.Spec{Key: trial.Key{Study: "s", ID: id, Attempt: 1}, Seed: 7}
		d := cfg.trialSleep(s)
		s.Key.Attempt = 2
		if again := cfg.trialSleep(s); again != d {
			t.Fatalf("trial %d: %v then %v on its second attempt; want the same draw", id, d, again)
		}
		ds = append(ds, math.Log(d.Seconds()))
	}
	sort.Float64s(ds)
	median := ds[len(ds)/2]
	var mean, sq float64
	for _, x := range ds {
		mean += x
	}
	mean /= float64(len(ds))
	for _, x := range ds {
		sq += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(sq / float64(len(ds)-1))
	// log duration ~ N(log 1s, 0.5): 2,000 draws put the median within
	// 0.05 and the deviation within 0.05 of the truth (> 3 standard errors).
	if math.Abs(median) > 0.05 || math.Abs(sd-0.5) > 0.05 {
		t.Errorf("log durations: median %.3f, sd %.3f; want 0 and 0.5", median, sd)
	}
	first := trial.Spec{Key: trial.Key{Study: "s", ID: 0, Attempt: 1}, Seed: 7}
	other := trial.Spec{Key: trial.Key{Study: "s", ID: 0, Attempt: 1}, Seed: 8}
	if cfg.trialSleep(other) == cfg.trialSleep(first) {
		t.Errorf("another study seed gave the same first draw")
	}
	fixed, _ := ParseConfig(map[string]any{"function": "branin", "duration": map[string]any{"median": "250ms", "sigma": 0}})
	if d := fixed.trialSleep(other); d != 250*time.Millisecond {
		t.Errorf("sigma 0: %v, want the median 250ms", d)
	}
}

func TestDurationSleepsThatLong(t *testing.T) {
	f, _ := benchfn.Get("branin")
	s := spec("branin", f.Argmin, map[string]any{"duration": map[string]any{"median": "30ms", "sigma": 0.2}})
	cfg, _ := ParseConfig(s.Trainer.Config)
	want := cfg.trialSleep(s)
	t0 := time.Now()
	res, err := Runner{}.Run(context.Background(), s, &reports{})
	if err != nil || res.Outcome != trial.ExitDone {
		t.Fatalf("%v %v", res.Outcome, err)
	}
	if got := time.Since(t0); got < want {
		t.Errorf("ran %v, want at least the drawn %v", got, want)
	}
}

func TestBadDuration(t *testing.T) {
	for _, tc := range []struct {
		dur  any
		want string
	}{
		{"1s", "duration: want {median: 1s, sigma: 0.5}"},
		{map[string]any{"median": "1s"}, "duration: missing sigma"},
		{map[string]any{"sigma": 0.5}, "duration: missing median"},
		{map[string]any{"median": "soon", "sigma": 0.5}, "duration: median: want a duration > 0"},
		{map[string]any{"median": "1s", "sigma": -1.0}, "duration: sigma: want a number in [0, 5]"},
		{map[string]any{"median": "1s", "sigma": 0.5, "mean": "2s"}, "duration: mean: unknown key"},
	} {
		_, err := ParseConfig(map[string]any{"function": "branin", "duration": tc.dur})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("duration %v: %v, want %q", tc.dur, err, tc.want)
		}
	}
	_, err := ParseConfig(map[string]any{"function": "branin", "sleep": "1s", "duration": map[string]any{"median": "1s", "sigma": 0.5}})
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("sleep and duration: %v, want refused", err)
	}
}
