package spacefile

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Ensemble is the space file's ensemble: section: build an ensemble of the
// study's kept models by greedy ensemble selection when the study ends
// (ensemble: {size: K, metric: M}, or ensemble: K).
type Ensemble struct {
	// Size is the number of selection rounds (members with repetition).
	Size int
	// Metric is the selection metric without prefix ("" follows the
	// objective when the validation predictions can compute it, else log
	// loss or RMSE); one of EnsembleMetrics.
	Metric string
	pos    Pos
}

// MaxEnsembleSize bounds ensemble.size.
const MaxEnsembleSize = 1000

// EnsembleMetrics are the metrics an ensemble can be selected by, as the
// model/ensemble package names them (a val_ prefix and "loss" for log_loss
// are accepted too).
var EnsembleMetrics = []string{"accuracy", "balanced_accuracy", "f1", "auc", "log_loss", "brier", "rmse", "mae", "r2"}

// ensemble reads ensemble: {size: K, metric: M} or ensemble: K.
func (p *parser) ensemble(key, n *yaml.Node, s *File) {
	n = deref(n)
	e := &Ensemble{pos: posOf(key)}
	var size *yaml.Node
	if n.Kind == yaml.ScalarNode {
		size = n
	} else {
		for _, f := range p.fields(n, "ensemble", []string{"size", "metric"}) {
			switch f.key {
			case "size":
				size = f.val
			case "metric":
				if v, ok := p.str(f.val, "ensemble.metric"); ok {
					name := strings.TrimPrefix(v, "val_")
					if name == "loss" {
						name = "log_loss"
					}
					if !contains(EnsembleMetrics, name) {
						p.errorf(posOf(f.val), "ensemble.metric", "unknown metric %q; allowed: %s (validation metrics the kept predictions can compute)", v, strings.Join(EnsembleMetrics, ", "))
					}
					e.Metric = name
				}
			}
		}
		if size == nil && n.Kind == yaml.MappingNode && !p.guessed["ensemble.size"] {
			p.errorf(posOf(n), "ensemble", "missing required key \"size\", e.g. ensemble: {size: 20}")
		}
	}
	if size != nil {
		if k, ok := p.integer(size, "ensemble.size"); ok {
			if k < 1 || k > MaxEnsembleSize {
				p.errorf(posOf(size), "ensemble.size", "%d rounds; want 1 to %d", k, MaxEnsembleSize)
			}
			e.Size = int(k)
		}
	}
	s.Ensemble = e
}

// checkEnsemble refuses an ensemble of a built-in trainer that keeps no
// models, and of a study of several objectives (no single ranking).
func (p *parser) checkEnsemble(s *File) {
	e := s.Ensemble
	if e == nil {
		return
	}
	if t, ok := LookupTrainer(s.Trainer.Plugin); ok && !t.Models {
		p.errorf(e.pos, "ensemble", "the %s trainer keeps no models to ensemble (the mlp trainer does); remove ensemble:", t.Name)
	}
	if len(s.Objectives) > 1 {
		p.errorf(e.pos, "ensemble", "a study of %d objectives has no single best model to select by; remove ensemble: or use one objective", len(s.Objectives))
	}
}

// EnsembleError makes an error about the ensemble: section, placed at it,
// for a trainer's check.
func (f *File) EnsembleError(format string, args ...any) error {
	var pos Pos
	if f.Ensemble != nil {
		pos = f.Ensemble.pos
	}
	return &Error{File: f.Path, Pos: pos, Where: "ensemble", Msg: fmt.Sprintf(format, args...)}
}
