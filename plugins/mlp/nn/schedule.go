package nn

import (
	"fmt"
	"math"
)

// ScheduleKind names a learning-rate schedule.
type ScheduleKind uint8

const (
	Constant ScheduleKind = iota + 1
	StepDecay
	Cosine
)

// ScheduleNames lists the accepted names, for messages.
var ScheduleNames = []string{"constant", "step", "cosine"}

// ParseSchedule reads a schedule name.
func ParseSchedule(s string) (ScheduleKind, error) {
	switch s {
	case "constant":
		return Constant, nil
	case "step":
		return StepDecay, nil
	case "cosine":
		return Cosine, nil
	}
	return 0, fmt.Errorf("unknown schedule %q; one of %v", s, ScheduleNames)
}

func (k ScheduleKind) String() string { return ScheduleNames[k-1] }

// Schedule gives the learning rate at each step.
type Schedule struct {
	Kind   ScheduleKind
	Base   float64
	Epochs int // the full training length (cosine anneals over it)
	// StepSize and Gamma: step decay multiplies by Gamma every StepSize epochs.
	StepSize int
	Gamma    float64
	// MinLR is cosine's floor.
	MinLR float64
	// Warmup epochs of linear warm-up from Base/steps to Base (0: none).
	Warmup float64
}

// LR is the rate for batch b of nb in 0-based epoch e.
func (s Schedule) LR(e, b, nb int) float64 {
	lr := s.Base
	switch s.Kind {
	case StepDecay:
		if s.StepSize > 0 {
			lr *= math.Pow(s.Gamma, float64(e/s.StepSize))
		}
	case Cosine:
		if s.Epochs > 0 {
			t := math.Min(1, (float64(e)+float64(b)/float64(nb))/float64(s.Epochs))
			lr = s.MinLR + 0.5*(s.Base-s.MinLR)*(1+math.Cos(math.Pi*t))
		}
	}
	if s.Warmup > 0 {
		done := float64(e) + float64(b+1)/float64(nb)
		if done < s.Warmup {
			lr *= done / s.Warmup
		}
	}
	return lr
}
