package report

import (
	"context"
	"fmt"
	"sync"

	"automl/scheduler"
)

// Options tune Load.
type Options struct {
	// MaxCurves bounds the learning curves read (one store read each):
	// the best half by rank, the rest spread over the other trials by id.
	// 0 means DefaultMaxCurves; negative reads none.
	MaxCurves int
}

// DefaultMaxCurves is the number of learning curves a report shows.
const DefaultMaxCurves = 200

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
	rows := Leaderboard(state.Study, state.Trials)
	ids := curveTrials(rows, opt.maxCurves())
	reports, err := readReports(ctx, st, study, ids)
	if err != nil {
		return nil, err
	}
	return build(Input{Study: state.Study, Trials: state.Trials, Curves: reports}, rows), nil
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
	if len(ids) == 0 {
		return out, nil
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
				reps, err := st.Reports(ctx, study, id)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("reports of trial %d: %w", id, err)
				}
				out[id] = reps
				mu.Unlock()
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
	return out, firstErr
}
