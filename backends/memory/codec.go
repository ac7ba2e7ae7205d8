package memory

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"

	"automl/scheduler"
	"automl/trial"
)

// maxNameLen bounds study names (backends/bolt has the same rule).
const maxNameLen = 255

// encoded is a validated Change in the form the store keeps.
type encoded struct {
	config, snapshot []byte
	trials           map[int][]byte
	reports          []encodedReport
}

type encodedReport struct {
	id   int
	step uint64
	data []byte
}

// encodeChange validates c for study name and encodes all of it; an error
// means nothing may be written.
func encodeChange(name string, c *scheduler.Change) (*encoded, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	enc := &encoded{trials: make(map[int][]byte, len(c.Trials))}
	var err error
	if c.Study != nil {
		if c.Study.Name != name {
			return nil, fmt.Errorf("study record is named %q", c.Study.Name)
		}
		if enc.config, err = json.Marshal(c.Study); err != nil {
			return nil, fmt.Errorf("encode study record: %w", err)
		}
	}
	if c.Snapshot != nil {
		if enc.snapshot, err = json.Marshal(c.Snapshot); err != nil {
			return nil, fmt.Errorf("encode snapshot: %w", err)
		}
	}
	for i := range c.Trials {
		r := &c.Trials[i]
		if r.ID < 0 {
			return nil, fmt.Errorf("trial record with negative id %d", r.ID)
		}
		if enc.trials[r.ID], err = json.Marshal(r); err != nil {
			return nil, fmt.Errorf("encode trial %d: %w", r.ID, err)
		}
	}
	for i := range c.Reports {
		r := &c.Reports[i]
		if r.ID < 0 {
			return nil, fmt.Errorf("report of negative trial id %d", r.ID)
		}
		if math.IsNaN(r.Step) || math.IsInf(r.Step, 0) {
			return nil, fmt.Errorf("report of trial %d: step %v is not finite", r.ID, r.Step)
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode report of trial %d step %v: %w", r.ID, r.Step, err)
		}
		enc.reports = append(enc.reports, encodedReport{id: r.ID, step: stepKey(r.Step), data: b})
	}
	return enc, nil
}

func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty study name")
	case len(name) > maxNameLen:
		return fmt.Errorf("study name longer than %d bytes", maxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("study name is not valid UTF-8")
	}
	return nil
}

// stepKey maps a finite step to a uint64 whose unsigned order is the
// numeric order of steps; -0 and +0 are one step.
func stepKey(step float64) uint64 {
	if step == 0 {
		step = 0
	}
	b := math.Float64bits(step)
	if b&(1<<63) != 0 {
		return ^b
	}
	return b | 1<<63
}

func decodeState(config, snapshot []byte, trials [][]byte) (scheduler.StudyState, error) {
	var st scheduler.StudyState
	st.Study = new(scheduler.Study)
	if err := unmarshal(config, st.Study); err != nil {
		return st, fmt.Errorf("study record: %w", err)
	}
	if snapshot != nil {
		if err := unmarshal(snapshot, &st.Snapshot); err != nil {
			return st, fmt.Errorf("snapshot: %w", err)
		}
	}
	if len(trials) > 0 {
		st.Trials = make([]trial.Record, len(trials))
	}
	for i, b := range trials {
		if err := unmarshal(b, &st.Trials[i]); err != nil {
			return st, fmt.Errorf("trial record: %w", err)
		}
	}
	return st, nil
}

func unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// summary accumulates a study's counts and best completed trial.
type summary struct {
	obj    trial.Objective
	counts map[trial.State]int
	has    bool
	bestID int
	best   float64
}

func newSummary(obj trial.Objective) *summary {
	return &summary{obj: obj, counts: map[trial.State]int{}}
}

// add counts one encoded trial record. Records come in id order, so on a
// tie the lower id stays best.
func (s *summary) add(b []byte) error {
	var r struct {
		ID       int         `json:"id"`
		State    trial.State `json:"state"`
		Value    float64     `json:"value"`
		HasValue bool        `json:"has_value"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("trial record: %w", err)
	}
	s.counts[r.State]++
	if r.State != trial.Completed || !r.HasValue {
		return nil
	}
	if !s.has || s.obj.Better(r.Value, s.best) {
		s.has, s.bestID, s.best = true, r.ID, r.Value
	}
	return nil
}

func (s *summary) fill(info *scheduler.StudyInfo) {
	info.Counts = s.counts
	info.HasBest, info.BestID, info.Best = s.has, s.bestID, s.best
}
