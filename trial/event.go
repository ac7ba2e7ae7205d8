package trial

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"automl/internal/jsonscan"
	"automl/search/value"
	"automl/trial/triallog"
)

// Metrics are named numbers a trainer reports. NaN and infinities, which
// JSON cannot hold, travel as the strings "NaN", "+Inf" and "-Inf".
type Metrics map[string]float64

// MarshalJSON writes keys sorted, so equal metrics encode equally.
func (m Metrics) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		x := m[k]
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString(strconv.Quote(strconv.FormatFloat(x, 'g', -1, 64)))
		} else {
			b.Write(strconv.AppendFloat(nil, x, 'g', -1, 64))
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON accepts numbers, the NaN/Inf strings and null (as 0). A
// report decodes one per trial, so it scans the object directly (see
// jsonscan.Fields). As with encoding/json's maps, the last of
// duplicate keys wins, so a bad value is an error only if no later
// duplicate replaces it.
func (m *Metrics) UnmarshalJSON(data []byte) error {
	out := Metrics{}
	var bad map[string]error
	err := jsonscan.Fields(data, func(name string, raw []byte) error {
		x, err := parseMetric(raw)
		if err != nil {
			if bad == nil {
				bad = map[string]error{}
			}
			bad[name] = fmt.Errorf("metrics: %q: %w", name, err)
			return nil
		}
		out[name] = x
		delete(bad, name)
		return nil
	})
	switch {
	case errors.Is(err, jsonscan.ErrNull):
		*m = nil
		return nil
	case err != nil:
		return fmt.Errorf("metrics: %w", err)
	case len(bad) > 0: // the first name in order, so the message is stable
		return bad[slices.Min(slices.Collect(maps.Keys(bad)))]
	}
	*m = out
	return nil
}

// parseMetric reads a number, a string holding one (NaN, +Inf, ...) or null.
func parseMetric(raw []byte) (float64, error) {
	switch {
	case raw[0] == '"':
		s, err := jsonscan.String(raw)
		if err != nil {
			return 0, err
		}
		return strconv.ParseFloat(s, 64)
	case string(raw) == "null":
		return 0, nil
	case !isJSONNumber(raw):
		return 0, fmt.Errorf("want a number, got %.20q", raw)
	}
	x, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fmt.Errorf("number %s: %w", raw, err)
	}
	return x, nil
}

// isJSONNumber checks the JSON number grammar, which is stricter than
// strconv's (no "Inf", hex or underscores).
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// Finite reports the first metric that is NaN or infinite, if any.
func (m Metrics) Finite() (string, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if math.IsNaN(m[k]) || math.IsInf(m[k], 0) {
			return k, false
		}
	}
	return "", true
}

// Result is how an attempt ended, as its worker saw it.
type Result struct {
	Outcome Outcome `json:"outcome"`
	// Metrics are the final metrics (the objective's metric among them).
	Metrics Metrics `json:"metrics,omitempty"`
	// Step is the resource reached (e.g. the last epoch trained).
	Step float64 `json:"step,omitempty"`
	// Checkpoint names the stored checkpoint at Step, if the trainer saved one.
	Checkpoint string `json:"checkpoint,omitempty"`
	// Error explains a Crashed or Lost outcome.
	Error string `json:"error,omitempty"`
}

// EventKind says what an event reports.
type EventKind uint8

const (
	// Started: a worker took the job and launched the trainer.
	Started EventKind = iota + 1
	// Reported: intermediate metrics at a step.
	Reported
	// Exited: the attempt ended; Result says how.
	Exited
	// Logged: lines the trainer printed (Log), sent while it runs and
	// before its Exited event.
	Logged
)

var eventNames = [...]string{"", "started", "reported", "exited", "logged"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && k != 0 {
		return eventNames[k]
	}
	return "event(?)"
}

func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *EventKind) UnmarshalText(b []byte) error {
	for i, n := range eventNames {
		if n == string(b) && i > 0 {
			*k = EventKind(i)
			return nil
		}
	}
	return &json.UnsupportedValueError{Str: string(b)}
}

// Event is what a worker tells the scheduler about an attempt. Delivery is
// the fencing token: the transport's delivery count of the job, which grows
// each time the job is handed to a worker; the scheduler accepts events only
// from the newest delivery it has seen start, so a late result from a worker
// thought dead is discarded. Seq numbers the events of one delivery, so a
// duplicate is recognised.
type Event struct {
	Key      Key       `json:"key"`
	Delivery int       `json:"delivery"`
	Seq      int       `json:"seq"`
	Kind     EventKind `json:"kind"`
	Time     time.Time `json:"time"`
	Worker   string    `json:"worker,omitempty"`
	GPUs     []string  `json:"gpus,omitempty"`
	Step     float64   `json:"step,omitempty"`
	Metrics  Metrics   `json:"metrics,omitempty"`
	Result   *Result   `json:"result,omitempty"`
	// Log is a Logged event's lines.
	Log *triallog.Chunk `json:"log,omitempty"`
	// Lease is the job's lease token (Spec.Lease), proof that the sender
	// was handed the job.
	Lease string `json:"lease,omitempty"`
}

// Record is the stored state of a trial: what the store keeps and the
// leaderboard shows.
type Record struct {
	ID     int          `json:"id"`
	State  State        `json:"state"`
	Params value.Values `json:"params"`
	// Attempt is the current attempt (the Key's); Delivery the newest delivery
	// seen started for it (the fencing token).
	Attempt  int `json:"attempt"`
	Delivery int `json:"delivery,omitempty"`
	// Failures counts code failures (against the failure budget); Lost counts
	// infrastructure failures (retried freely up to a separate budget).
	Failures int `json:"failures,omitempty"`
	Lost     int `json:"lost,omitempty"`
	// Span of the current or last job, and the resource reached. Pause: the
	// job ends paused at To, waiting for a promotion (multi-fidelity).
	From  float64 `json:"from,omitempty"`
	To    float64 `json:"to,omitempty"`
	Pause bool    `json:"pause,omitempty"`
	// Rung counts the trial's promotions (multi-fidelity): 0 for a trial
	// still at, or ended at, its first rung.
	Rung     int     `json:"rung,omitempty"`
	Resource float64 `json:"resource,omitempty"`
	// Value is the objective's value, when HasValue.
	Value    float64 `json:"value,omitempty"`
	HasValue bool    `json:"has_value,omitempty"`
	Metrics  Metrics `json:"metrics,omitempty"`
	// Reports counts intermediate reports stored for the trial.
	Reports    int    `json:"reports,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"`
	Error      string `json:"error,omitempty"`
	// Note says why a trial was stopped, pruned, paused or promoted.
	Note     string    `json:"note,omitempty"`
	Worker   string    `json:"worker,omitempty"`
	GPUs     []string  `json:"gpus,omitempty"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Busy is the summed wall time of the trial's attempts on workers.
	Busy time.Duration `json:"busy,omitempty"`
	// Source says where an imported trial's result comes from: the file
	// (an absolute path) and the trial in it, "/runs/old.db:study/12" or
	// "/runs/results.csv:14" (a line). An import skips a source already
	// present, so importing the same file twice adds nothing.
	Source string `json:"source,omitempty"`
	// Origin says where a configuration a user gave came from ("queued
	// from points.csv:3 by ana@box"); empty for the algorithm's own.
	Origin string `json:"origin,omitempty"`
	// Earlier are the trial's earlier attempts that ended without a
	// result and ran again (a retry after its code failed, a run the
	// infrastructure lost, a user's automl retry), oldest first; at most
	// 20, the oldest dropped.
	Earlier []Attempt `json:"earlier,omitempty"`
}

// Attempt is an earlier attempt of a trial, as its record said when the
// trial ran again: how it ended (crashed, lost, aborted), why, where and
// when.
type Attempt struct {
	Attempt  int       `json:"attempt"`
	Outcome  Outcome   `json:"outcome"`
	Error    string    `json:"error,omitempty"`
	Note     string    `json:"note,omitempty"`
	Worker   string    `json:"worker,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
}

// Key returns the key of the record's current attempt in the study's
// incarnation.
func (r *Record) Key(study, incarnation string) Key {
	return Key{Study: study, Incarnation: incarnation, ID: r.ID, Attempt: r.Attempt}
}
