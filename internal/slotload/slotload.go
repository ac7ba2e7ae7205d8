// Package slotload measures how many slots the workers are seen keeping
// busy, whatever the study was told: the scheduler bounds the jobs in
// flight by it.
package slotload

import (
	"slices"
	"time"
)

// Window is how far back the attempts that ended count towards the slots
// seen busy; longer than the time a worker may hold back a short run's
// start (natsbus: 100 ms), so a run too short to be seen running is still
// seen.
const Window = time.Second

// Load measures how many slots the workers are seen keeping busy: the
// trials seen running, or the average number of slots the attempts that
// ended lately kept busy (their run times over the time they ended in,
// Little's law), whichever is more. The second sees runs too short to be
// seen running; the larger of the two, not their sum, since a run seen
// running and then ending counts in both. Each run counts for at most
// Window, so a long run that just ended weighs no more than one slot.
type Load struct {
	start    time.Time     // of the current period
	cur      time.Duration // run time of the attempts that ended in it
	prev     time.Duration // the same in the period before
	prevSpan time.Duration // that period's length
	now      time.Time     // the last roll
	// the run times of the last len(recent) attempts that ended, a ring
	recent [recentRuns]time.Duration
	ended  int // attempts counted in all
}

// recentRuns is how many of the last run times MedianRun looks at.
const recentRuns = 9

// Roll moves the clock to now, starting a new period every Window.
func (l *Load) Roll(now time.Time) {
	l.now = now
	if l.start.IsZero() {
		l.start = now
		return
	}
	if span := now.Sub(l.start); span >= Window {
		l.prev, l.prevSpan = l.cur, span
		l.cur, l.start = 0, now
	}
}

// Ended counts an attempt that ran for d.
func (l *Load) Ended(d time.Duration) {
	l.cur += min(max(d, 0), Window)
	l.recent[l.ended%recentRuns] = d
	l.ended++
}

// MedianRun is the median run time of the last attempts that ended (up to
// 9; the lower middle of an even count); false before any ended.
func (l *Load) MedianRun() (time.Duration, bool) {
	n := min(l.ended, recentRuns)
	if n == 0 {
		return 0, false
	}
	runs := slices.Clone(l.recent[:n])
	slices.Sort(runs)
	return runs[(n-1)/2], true
}

// Busy is how many slots are seen busy, given the trials seen running.
func (l *Load) Busy(running int) float64 {
	b := float64(running)
	if span := l.prevSpan + l.now.Sub(l.start); span > 0 {
		b = max(b, float64(l.prev+l.cur)/float64(span))
	}
	return b
}

// RunsUnder reports whether the last attempts' median run time is under
// limit, or unknown (none ended).
func (l *Load) RunsUnder(limit time.Duration) bool {
	m, ok := l.MedianRun()
	return !ok || m < limit
}
