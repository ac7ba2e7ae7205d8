package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/triallog"
)

// logPart is chunk seq of a run of trial id's attempt: n lines "a<attempt>
// d<delivery> line <i>" from first on (15 bytes each with the newline).
func logPart(id, attempt, delivery, seq, first, n int, limit int64) triallog.Part {
	p := triallog.Part{ID: id, Attempt: attempt, Delivery: delivery, Worker: fmt.Sprintf("w%d", delivery), Limit: limit, Chunk: triallog.Chunk{Seq: seq}}
	for i := first; i < first+n; i++ {
		p.Lines = append(p.Lines, triallog.Line{
			Time:   time.Date(2026, 1, 2, 3, 4, 5, i, time.UTC),
			Stream: triallog.Stream(1 + i%2),
			Text:   fmt.Sprintf("a%d d%d line %03d", attempt, delivery, i),
		})
	}
	return p
}

func texts(lines []triallog.Line) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Text
	}
	return strings.Join(out, "|")
}

func readLog(t *testing.T, s scheduler.Store, q triallog.Query) triallog.Log {
	t.Helper()
	l, err := s.Log(context.Background(), "s", q)
	if err != nil {
		t.Fatalf("Log(%+v): %v", q, err)
	}
	return l
}

func testLogs(t *testing.T, open Open) {
	s := fresh(t, open)
	rec := Record(3, trial.Running, 0)
	rec.Attempt = 2
	commit(t, s, "s", scheduler.Change{Study: StudyConfig("s", "minimize"), Trials: []trial.Record{Record(1, trial.Completed, 1), rec}})

	// Attempt 1 of trial 3 printed little; attempt 2 more than its limit
	// (60 bytes: four lines), in three chunks of three commits, one of
	// them again (a redelivered event).
	commit(t, s, "s", scheduler.Change{Logs: []triallog.Part{logPart(3, 1, 1, 1, 0, 2, 0)}})
	commit(t, s, "s", scheduler.Change{Logs: []triallog.Part{logPart(3, 2, 1, 1, 0, 3, 60), logPart(3, 2, 1, 2, 3, 3, 60)}})
	commit(t, s, "s", scheduler.Change{Logs: []triallog.Part{logPart(3, 2, 1, 3, 6, 2, 60)}})
	commit(t, s, "s", scheduler.Change{Logs: []triallog.Part{logPart(3, 2, 1, 2, 3, 3, 60)}})

	l := readLog(t, s, triallog.Query{ID: 3})
	want := "[automl: 60 B (4 lines) of earlier output dropped; an attempt keeps its last 60 B (trainer.log_limit)]|a2 d1 line 004|a2 d1 line 005|a2 d1 line 006|a2 d1 line 007"
	if got := texts(l.Lines); got != want {
		t.Errorf("attempt 2:\n got %s\nwant %s", got, want)
	}
	if l.Attempt != 2 || l.Current != 2 || l.State != "running" || l.Total != 4 || l.Bytes != 60 || l.Dropped != 60 || l.Worker != "w1" {
		t.Errorf("attempt 2: %+v", l)
	}
	if !slices.Equal(l.Attempts, []int{1, 2}) || l.Last != (triallog.Pos{Delivery: 1, Seq: 3}) {
		t.Errorf("attempts %v, last %v; want [1 2], {1 3}", l.Attempts, l.Last)
	}
	if l.Lines[1].Stream != triallog.Stdout || l.Lines[2].Stream != triallog.Stderr || !l.Lines[1].Time.Equal(time.Date(2026, 1, 2, 3, 4, 5, 4, time.UTC)) {
		t.Errorf("lines lost their stream or time: %+v", l.Lines[1:3])
	}
	if got := texts(readLog(t, s, triallog.Query{ID: 3, Attempt: 1}).Lines); got != "a1 d1 line 000|a1 d1 line 001" {
		t.Errorf("attempt 1: %s", got)
	}
	if got := texts(readLog(t, s, triallog.Query{ID: 3, Tail: 3}).Lines); got != "a2 d1 line 005|a2 d1 line 006|a2 d1 line 007" {
		t.Errorf("tail 3: %s", got)
	}
	if got := texts(readLog(t, s, triallog.Query{ID: 3, After: triallog.Pos{Delivery: 1, Seq: 2}}).Lines); got != "a2 d1 line 006|a2 d1 line 007" {
		t.Errorf("after chunk 2: %s", got)
	}

	// The job ran again (a lost worker): its lines follow, noted.
	commit(t, s, "s", scheduler.Change{Logs: []triallog.Part{logPart(3, 2, 2, 1, 20, 1, 60)}})
	l = readLog(t, s, triallog.Query{ID: 3, Tail: 2})
	if got := texts(l.Lines); !strings.HasPrefix(got, "[automl: the job ran again on worker w2 (delivery 2)") || !strings.HasSuffix(got, "|a2 d2 line 020") {
		t.Errorf("after another delivery: %s", got)
	}

	// A trial that printed nothing, an attempt without a log, a trial
	// and a study the store does not have.
	if l := readLog(t, s, triallog.Query{ID: 1}); len(l.Lines) != 0 || l.Attempts != nil || l.State != "completed" || l.Attempt != 1 {
		t.Errorf("a trial without a log: %+v", l)
	}
	if l := readLog(t, s, triallog.Query{ID: 3, Attempt: 7}); len(l.Lines) != 0 || l.Attempt != 7 {
		t.Errorf("an attempt without a log: %+v", l)
	}
	if _, err := s.Log(context.Background(), "s", triallog.Query{ID: 99}); !errors.Is(err, triallog.ErrNoTrial) {
		t.Errorf("an unknown trial: err %v, want ErrNoTrial", err)
	}
	if _, err := s.Log(context.Background(), "nope", triallog.Query{ID: 1}); !errors.Is(err, scheduler.ErrStudyNotFound) {
		t.Errorf("an unknown study: err %v, want ErrStudyNotFound", err)
	}
}
