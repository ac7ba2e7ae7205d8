package model

import (
	"fmt"
	"io"
	"math"
	"os"
)

// Holdout is one trial's predictions on rows it did not train on, with
// the true labels: what ensemble selection works from.
type Holdout struct {
	// Study and Trial identify the trial (empty and 0 when unknown).
	Study string
	Trial int
	// Task is Binary, Multiclass or Regression; Classes name the classes.
	Task    string
	Classes []string
	// Val holds the validation rows: with k folds, every non-test row,
	// each predicted by the fold that did not train on it (out of fold).
	// Test holds the test rows, predicted by the model (folds averaged);
	// nil when the trial has no test split.
	Val, Test *Split
}

// Split is one set of rows: the truth and the predictions.
type Split struct {
	// Rows is the number of rows.
	Rows int
	// Digest identifies the row set and its order (the data's content,
	// the target and the row indices): two trials' splits with the same
	// digest hold the same rows with the same labels, in the same order.
	Digest string
	// Y is each row's truth: the class index, or the value in target units.
	Y []float32
	// Width is the values per row in P: the number of classes, or 1 for
	// regression.
	Width int
	// P holds the predictions, Rows x Width row-major: class
	// probabilities, or the predicted value in target units.
	P []float32
}

// Write writes the holdout file.
func (h *Holdout) Write(w io.Writer) error { return frame(w, holdoutMagic, h) }

// Save writes the holdout file atomically.
func (h *Holdout) Save(path string) error { return saveFile(path, h.Write) }

// ReadHoldout reads a holdout file and checks its shapes. Errors wrap
// ErrFormat for a file that is not a valid holdout file.
func ReadHoldout(r io.Reader) (*Holdout, error) {
	var h Holdout
	if err := unframe(r, holdoutMagic, "holdout", &h); err != nil {
		return nil, err
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return &h, nil
}

// LoadHoldout reads the holdout file at path; errors name the file.
func LoadHoldout(path string) (*Holdout, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load holdout: %w", err)
	}
	defer f.Close()
	h, err := ReadHoldout(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// check says what is inconsistent, or nil.
func (h *Holdout) check() error {
	width := 1
	switch h.Task {
	case Binary, Multiclass:
		if len(h.Classes) < 2 {
			return fmt.Errorf("task %s with %d classes", h.Task, len(h.Classes))
		}
		width = len(h.Classes)
	case Regression:
	default:
		return fmt.Errorf("unknown task %q", h.Task)
	}
	if h.Val == nil {
		return fmt.Errorf("no validation rows")
	}
	for _, s := range []struct {
		name string
		sp   *Split
	}{{"validation", h.Val}, {"test", h.Test}} {
		sp := s.sp
		if sp == nil {
			continue
		}
		switch {
		case sp.Width != width:
			return fmt.Errorf("%s predictions have width %d, the task needs %d", s.name, sp.Width, width)
		case sp.Rows < 0 || len(sp.Y) != sp.Rows || len(sp.P) != sp.Rows*sp.Width:
			return fmt.Errorf("%s split of %d rows has %d labels and %d predictions", s.name, sp.Rows, len(sp.Y), len(sp.P))
		}
		if width > 1 {
			for i, y := range sp.Y {
				if y != float32(math.Trunc(float64(y))) || y < 0 || int(y) >= width {
					return fmt.Errorf("%s row %d has class %v of %d", s.name, i+1, y, width)
				}
			}
		}
	}
	return nil
}
