package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Ensemble is an ensemble built of a study's models by greedy ensemble
// selection (automl model ensemble, or ensemble: in the study file), as
// the ensemble.json written beside the ensemble's file records it. The
// report shows it beside the best single trial, both scored by the same
// metric on the same validation (and test) rows.
type Ensemble struct {
	// File is the ensemble's model file as written (ensemble.automl).
	File string `json:"file"`
	// Metric is the metric of the scores (accuracy, log_loss, rmse, ...);
	// Maximize says which way it improves. SelectedBy is the selection's
	// metric when it is another (log_loss for an accuracy objective);
	// empty when the selection ran by Metric.
	Metric     string `json:"metric"`
	Maximize   bool   `json:"maximize"`
	SelectedBy string `json:"selected_by,omitempty"`
	// Size is the rounds asked for; Rounds those kept (the best prefix),
	// the members counted with their weights.
	Size   int `json:"size"`
	Rounds int `json:"rounds"`
	// Init and Bags are the selection's sorted initialisation and bags
	// (0 when not asked for).
	Init int `json:"init,omitempty"`
	Bags int `json:"bags,omitempty"`
	// Members are the trials in the ensemble with their weights.
	Members []EnsembleMember `json:"members"`
	// Val and Test are the ensemble's scores (Test nil without a test
	// split).
	Val  float64  `json:"val"`
	Test *float64 `json:"test,omitempty"`
	// Best is the study's best trial (the leaderboard's first) scored the
	// same way.
	Best EnsembleMember `json:"best"`
	// Created is when the ensemble was built.
	Created time.Time `json:"created"`
}

// EnsembleMember is a trial in an ensemble with its weight, or the best
// single trial with its scores.
type EnsembleMember struct {
	Trial  int      `json:"trial"`
	Weight int      `json:"weight,omitempty"`
	Val    *float64 `json:"val,omitempty"`
	Test   *float64 `json:"test,omitempty"`
}

// EnsembleFile is the name of the record beside an ensemble built when a
// study ends (ensemble.automl, ensemble.json in the study's models
// directory).
const EnsembleFile = "ensemble.json"

// ReadEnsemble reads an ensemble record; nil and no error when the file
// does not exist.
func ReadEnsemble(path string) (*Ensemble, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e := new(Ensemble)
	if err := json.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if e.Metric == "" || e.Rounds < 1 || len(e.Members) == 0 {
		return nil, fmt.Errorf("%s: not an ensemble record (metric %q, %d rounds, %d members)", path, e.Metric, e.Rounds, len(e.Members))
	}
	return e, nil
}

// Line says in one line what the ensemble is and scores beside the best
// single trial: "ensemble of 3 models (8 rounds, by accuracy): val 0.97,
// test 0.95 — best single trial #12: val 0.96, test 0.93"; selected by
// another metric: "(8 rounds, selected by log_loss, scored by accuracy)".
func (e *Ensemble) Line() string {
	var b strings.Builder
	by := "by " + e.Metric
	if e.SelectedBy != "" {
		by = "selected by " + e.SelectedBy + ", scored by " + e.Metric
	}
	fmt.Fprintf(&b, "ensemble of %s (%s, %s): val %s", plural(len(e.Members), "model"), plural(e.Rounds, "round"), by, score(&e.Val))
	if e.Test != nil {
		fmt.Fprintf(&b, ", test %s", score(e.Test))
	}
	fmt.Fprintf(&b, " — best single trial #%d: val %s", e.Best.Trial, score(e.Best.Val))
	if e.Best.Test != nil || e.Test != nil {
		fmt.Fprintf(&b, ", test %s", score(e.Best.Test))
	}
	return b.String()
}

func score(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return "–"
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

// Weights says the members and their weights: "#3×4, #7×2, #1".
func (e *Ensemble) Weights() string {
	parts := make([]string, len(e.Members))
	for i, m := range e.Members {
		parts[i] = "#" + strconv.Itoa(m.Trial)
		if m.Weight > 1 {
			parts[i] += "×" + strconv.Itoa(m.Weight)
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
