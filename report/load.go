package report

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/triallog"
)

// Options tune Load.
type Options struct {
	// MaxCurves bounds the learning curves read (one store read each):
	// the best half by rank, the rest spread over the other trials by id.
	// 0 means DefaultMaxCurves; negative reads none.
	MaxCurves int
	// MaxLogs bounds the failed trials whose last log lines are read (the
	// lowest ids first): 0 means DefaultMaxLogs; negative reads none.
	MaxLogs int
	// RefPoint is the reference point of the hypervolume of a study of
	// several objectives, as the --ref-point option of automl report and
	// automl dashboard writes it ("1.1,1.1", see ParseRefPoint); "": the
	// default (see Input.Ref).
	RefPoint string
}

// DefaultMaxCurves is the number of learning curves a report shows.
const DefaultMaxCurves = 200

// DefaultMaxLogs is the number of failed trials a report shows the last
// lines of (LogTail each); the others name the command that prints them.
const DefaultMaxLogs = 200

// LogTail is how many of a failed trial's last log lines a report holds.
const LogTail = 50

// Load reads a study through the store and builds its views. The store
// may be a reader of a study that is still running. A study that does not
// exist is scheduler.ErrStudyNotFound.
func Load(ctx context.Context, st scheduler.Reader, study string, opt Options) (*Data, error) {
	state, err := st.Load(ctx, study)
	if err != nil {
		return nil, err
	}
	if state.Study == nil {
		return nil, fmt.Errorf("study %q: %w", study, scheduler.ErrStudyNotFound)
	}
	var ref []float64
	if opt.RefPoint != "" {
		if ref, err = ParseRefPoint(state.Study, "--ref-point", opt.RefPoint); err != nil {
			return nil, err
		}
	}
	rows := Leaderboard(state.Study, state.Trials)
	ids := curveTrials(rows, opt.maxCurves())
	reports, err := readReports(ctx, st, study, ids)
	if err != nil {
		return nil, err
	}
	logs, err := readLogs(ctx, st, study, failedTrials(rows, opt.maxLogs()))
	if err != nil {
		return nil, err
	}
	d := build(Input{Study: state.Study, Trials: state.Trials, Curves: reports, Ref: ref}, rows)
	d.Logs = logs
	return d, nil
}

func (o Options) maxLogs() int {
	if o.MaxLogs == 0 {
		return DefaultMaxLogs
	}
	return max(o.MaxLogs, 0)
}

// failedTrials are the ids of the first n failed trials, by id.
func failedTrials(rows []Row, n int) []int {
	var ids []int
	for i := range rows {
		if rows[i].State == trial.Failed {
			ids = append(ids, rows[i].ID)
		}
	}
	slices.Sort(ids)
	return ids[:min(n, len(ids))]
}

// readLogs reads the last LogTail lines of each trial's last attempt
// that has a log.
func readLogs(ctx context.Context, st scheduler.Reader, study string, ids []int) (map[int]triallog.Log, error) {
	out := make(map[int]triallog.Log, len(ids))
	var mu sync.Mutex
	err := each(ctx, ids, func(id int) error {
		l, err := st.Log(ctx, study, triallog.Query{ID: id, Tail: LogTail})
		if err == nil && l.Total == 0 && len(l.Attempts) > 0 && l.Attempts[len(l.Attempts)-1] != l.Attempt {
			// The last attempt printed nothing: the one before it did.
			l, err = st.Log(ctx, study, triallog.Query{ID: id, Attempt: l.Attempts[len(l.Attempts)-1], Tail: LogTail})
		}
		if err != nil {
			return fmt.Errorf("log of trial %d: %w", id, err)
		}
		if l.Total > 0 || l.Dropped > 0 {
			mu.Lock()
			out[id] = l
			mu.Unlock()
		}
		return nil
	})
	return out, err
}

func (o Options) maxCurves() int {
	if o.MaxCurves == 0 {
		return DefaultMaxCurves
	}
	return max(o.MaxCurves, 0)
}

// curveTrials picks the trials whose curves are read: all that reported
// when they are few, else the best n/2 and n/2 others evenly spread.
func curveTrials(rows []Row, n int) []int {
	var with []int
	for i := range rows {
		if rows[i].Reports > 0 {
			with = append(with, rows[i].ID)
		}
	}
	if len(with) <= n {
		return with
	}
	best := n / 2
	out := append([]int(nil), with[:best]...)
	rest := with[best:]
	for k := range n - best {
		out = append(out, rest[k*len(rest)/(n-best)])
	}
	return out
}

// readReports reads the trials' reports, a few at a time.
func readReports(ctx context.Context, st scheduler.Reader, study string, ids []int) (map[int][]scheduler.Report, error) {
	out := make(map[int][]scheduler.Report, len(ids))
	var mu sync.Mutex
	err := each(ctx, ids, func(id int) error {
		reps, err := st.Reports(ctx, study, id)
		mu.Lock()
		out[id] = reps
		mu.Unlock()
		if err != nil {
			return fmt.Errorf("reports of trial %d: %w", id, err)
		}
		return nil
	})
	return out, err
}

// each calls read for every id, a few at a time, and returns the first
// error.
func each(ctx context.Context, ids []int, read func(id int) error) error {
	if len(ids) == 0 {
		return nil
	}
	const readers = 4
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range min(readers, len(ids)) {
		wg.Go(func() {
			for id := range next {
				if err := read(id); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- id
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
