package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"automl/trial"
)

// Lane is one row of the timeline: a worker slot or a GPU.
type Lane struct {
	Name string
	Bars []Bar
	// Busy is the time the lane ran trials (its bars, summed).
	Busy time.Duration
}

// Bar is one trial's latest job on a lane.
type Bar struct {
	Row        int // index into Data.Rows
	Start, End time.Time
	Running    bool // still running: End is the report's now
}

// lanesOf lays trials out per worker and GPU. Records name the worker
// process (and the GPUs a trial held), not the slot inside the process, so
// the slots are recovered by packing each worker's (or GPU's) trials into
// the fewest lanes where none overlap: with N slots busy at once, N lanes.
func lanesOf(rows []Row, now time.Time) []Lane {
	groups := map[string][]int{}
	var keys []string
	for i := range rows {
		r := &rows[i].Record
		if r.Started.IsZero() {
			continue
		}
		k := laneKey(r)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	slices.SortFunc(keys, compareLaneKeys)
	var lanes []Lane
	for _, k := range keys {
		idx := groups[k]
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(rows[a].Started.Compare(rows[b].Started), cmp.Compare(rows[a].ID, rows[b].ID))
		})
		var sub []Lane
		var ends []time.Time
		for _, i := range idx {
			b := barOf(i, &rows[i].Record, now)
			j := slices.IndexFunc(ends, func(e time.Time) bool { return !e.After(b.Start) })
			if j < 0 {
				j = len(sub)
				sub = append(sub, Lane{})
				ends = append(ends, time.Time{})
			}
			sub[j].Bars = append(sub[j].Bars, b)
			sub[j].Busy += b.End.Sub(b.Start)
			ends[j] = b.End
		}
		for j := range sub {
			sub[j].Name = laneName(k, j, len(sub))
		}
		lanes = append(lanes, sub...)
	}
	return lanes
}

func barOf(i int, r *trial.Record, now time.Time) Bar {
	b := Bar{Row: i, Start: r.Started, End: r.Finished}
	if r.State == trial.Running || b.End.Before(b.Start) {
		b.End, b.Running = now, r.State == trial.Running
	}
	if b.End.Before(b.Start) {
		b.End = b.Start
	}
	return b
}

// laneKey is "worker\x00gpus".
func laneKey(r *trial.Record) string {
	w := r.Worker
	if w == "" {
		w = "(unknown worker)"
	}
	return w + "\x00" + strings.Join(r.GPUs, ",")
}

func compareLaneKeys(a, b string) int {
	wa, ga, _ := strings.Cut(a, "\x00")
	wb, gb, _ := strings.Cut(b, "\x00")
	if c := strings.Compare(wa, wb); c != 0 {
		return c
	}
	// GPU "10" after "9".
	return cmp.Or(cmp.Compare(len(ga), len(gb)), strings.Compare(ga, gb))
}

func laneName(key string, j, n int) string {
	w, gpus, _ := strings.Cut(key, "\x00")
	switch {
	case gpus != "" && n == 1:
		return fmt.Sprintf("%s gpu %s", w, gpus)
	case gpus != "":
		return fmt.Sprintf("%s gpu %s #%d", w, gpus, j+1)
	}
	return fmt.Sprintf("%s slot %d", w, j+1)
}
