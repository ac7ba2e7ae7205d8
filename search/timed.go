package search

import (
	"time"

	"automl/internal/probe"
)

// Timed wraps what NewSearcher returns (s, err) so that each call of the
// searcher is timed: the suggestion latency of the automl command's
// metrics, through internal/probe. Only the wall time is read, and the
// searcher's decisions never see it: the algorithms stay clock-free and
// replay exactly. An error passes through.
func Timed(s Searcher, err error) (Searcher, error) {
	if err != nil {
		return nil, err
	}
	return timed{s}, nil
}

type timed struct{ Searcher }

func (t timed) Start(c Context) ([]Action, error) {
	defer observe("start", time.Now())
	return t.Searcher.Start(c)
}

func (t timed) Next(c Context) ([]Action, error) {
	defer observe("next", time.Now())
	return t.Searcher.Next(c)
}

func (t timed) Observe(c Context, ev Event) ([]Action, error) {
	defer observe("observe", time.Now())
	return t.Searcher.Observe(c, ev)
}

func observe(call string, t0 time.Time) { probe.Get().Searched(call, time.Since(t0)) }
