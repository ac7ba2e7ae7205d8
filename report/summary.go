package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"automl/scheduler"
	"automl/trial"
)

// States lists trial states in the order summaries show them.
var States = []trial.State{trial.Completed, trial.Running, trial.Pending, trial.Paused, trial.Pruned, trial.Stopped, trial.Failed, trial.Imported}

// Summary is the study at a glance.
type Summary struct {
	Trials int
	Counts map[trial.State]int
	// Wall is the study's running time over all its runs (the scheduler's
	// account), or the span of its trials when that is unknown.
	Wall time.Duration
	// Busy is the wall time trials ran on workers, summed.
	Busy time.Duration
	// GPUHours is Busy weighted by the GPUs each trial held.
	GPUHours float64
	// Slots is the number of timeline lanes (worker slots seen);
	// Utilisation the busy share of their time over the timeline's span.
	Slots       int
	Utilisation float64
	// Reasons groups why trials did not complete, most frequent first, at
	// most maxReasons of them; MoreReasons more, holding MoreTrials trials.
	Reasons                 []Reason
	MoreReasons, MoreTrials int
}

// maxReasons bounds the reasons kept: error texts that differ in every
// trial (ids, addresses) must not make a reason per trial.
const maxReasons = 50

// Reason is one cause of pruned, stopped or failed trials.
type Reason struct {
	State  trial.State
	Text   string
	Count  int
	Trials []int // the first few, in id order
}

// maxReasonTrials bounds the example trial ids kept per reason.
const maxReasonTrials = 8

func summarise(st *scheduler.Study, rows []Row, lanes []Lane, start, now time.Time) Summary {
	s := Summary{Trials: len(rows), Counts: map[trial.State]int{}, Wall: st.Elapsed, Slots: len(lanes)}
	type key struct {
		state trial.State
		text  string
	}
	reasons := map[key]*Reason{}
	for i := range rows {
		r := &rows[i].Record
		s.Counts[r.State]++
		s.Busy += r.Busy
		s.GPUHours += r.Busy.Hours() * float64(len(r.GPUs))
		if r.State == trial.Pruned || r.State == trial.Stopped || r.State == trial.Failed {
			k := key{r.State, whyText(r)}
			rs := reasons[k]
			if rs == nil {
				rs = &Reason{State: r.State, Text: k.text}
				reasons[k] = rs
			}
			rs.Count++
			rs.Trials = append(rs.Trials, r.ID)
		}
	}
	if s.Wall == 0 {
		s.Wall = now.Sub(start)
	}
	for _, rs := range reasons {
		slices.Sort(rs.Trials)
		rs.Trials = rs.Trials[:min(len(rs.Trials), maxReasonTrials)]
		s.Reasons = append(s.Reasons, *rs)
	}
	slices.SortFunc(s.Reasons, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.State, b.State), cmp.Compare(a.Text, b.Text))
	})
	if len(s.Reasons) > maxReasons {
		for _, r := range s.Reasons[maxReasons:] {
			s.MoreReasons++
			s.MoreTrials += r.Count
		}
		s.Reasons = s.Reasons[:maxReasons]
	}
	if span := now.Sub(start); span > 0 && len(lanes) > 0 {
		var used time.Duration
		for _, l := range lanes {
			used += l.Busy
		}
		s.Utilisation = float64(used) / (float64(span) * float64(len(lanes)))
	}
	return s
}

// Why says why a trial did not complete (or what its note is): the first
// line of its error, else its note.
func Why(r *trial.Record) string {
	if r.Error != "" {
		line, _, _ := strings.Cut(r.Error, "\n")
		return strings.TrimSpace(line)
	}
	return r.Note
}

func whyText(r *trial.Record) string {
	if w := Why(r); w != "" {
		return w
	}
	return "(no reason recorded)"
}
