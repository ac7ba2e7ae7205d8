// Package control is what users change in a study after it is created:
// its budget (automl budget, automl search --trials +N), configurations
// to run before the algorithm's own (automl enqueue, the space file's
// enqueue:), reruns of failed or stopped trials (automl retry) and stops
// (automl stop). One Request says what. Live carries it out on a running
// study, inside its scheduler's loop (the command reaches that scheduler
// over NATS: Serve and Send are the two ends); Stored changes the record
// of a study no scheduler runs, whose next run carries out what waits in
// it (queued configurations, reruns); Settle decides the budget a run of
// automl search starts with; Import adds results from elsewhere to a
// stopped study (automl import). Every change is an entry in the study's
// history (scheduler.HistoryEntry), committed with it.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// Request is a user's change to a study. It travels as JSON.
type Request struct {
	Op string `json:"op"` // stop, budget, enqueue, retry (import: Import's history entry)
	// IDs are the trials to stop or rerun (a stop without ids stops the
	// whole study); Reason is the stopped trials' note.
	IDs    []int  `json:"ids,omitempty"`
	Reason string `json:"reason,omitempty"`
	// States picks the trials to rerun when IDs is empty: failed (every
	// failed trial), lost (those that failed because their runs were
	// lost), stopped. Default: failed.
	States []string `json:"states,omitempty"`
	// The trial budget (Trials > 0) and the time budget (Timeout > 0):
	// set to it, or raised by it (AddTrials, AddTimeout).
	Trials     int           `json:"trials,omitempty"`
	AddTrials  bool          `json:"add_trials,omitempty"`
	Timeout    time.Duration `json:"timeout,omitempty"`
	AddTimeout bool          `json:"add_timeout,omitempty"`
	// File and Data are a points file to enqueue (spacefile.ReadPoints),
	// read where the study's space is known.
	File string `json:"file,omitempty"`
	Data []byte `json:"data,omitempty"`
	// By is who asks (user@host) and Command what they typed (without
	// secrets), for the study's history.
	By      string `json:"by,omitempty"`
	Command string `json:"command,omitempty"`
}

// Reply says what a request did.
type Reply struct {
	// Stop is what a stop did, trial by trial.
	Stop scheduler.StopResult `json:"stop"`
	// Done says what changed, a line per change, for people.
	Done []string `json:"done,omitempty"`
	// Rerun are the trials that run again (or will, at the next run).
	Rerun []int `json:"rerun,omitempty"`
	// Queued is how many configurations the request queued.
	Queued int `json:"queued,omitempty"`
}

// ErrBadRequest marks a request that cannot be carried out as asked (a
// budget below what the study has used, a trial that cannot be rerun, a
// points file with mistakes): the error says what would be right.
var ErrBadRequest = errors.New("bad request")

type requestError struct{ msg string }

func (e *requestError) Error() string        { return e.msg }
func (e *requestError) Is(target error) bool { return target == ErrBadRequest }

func badRequest(format string, args ...any) error {
	return &requestError{fmt.Sprintf(format, args...)}
}

// Running is a running study's scheduler (*scheduler.Scheduler).
type Running interface {
	StopTrials(ctx context.Context, ids []int, reason string) (scheduler.StopResult, error)
	Edit(ctx context.Context, change func(*scheduler.Edit) error) error
}

// Live carries out a request on a running study: inside its scheduler's
// loop, committed before it returns.
func Live(ctx context.Context, s Running, req Request) (Reply, error) {
	var rep Reply
	if req.Op == "stop" {
		// Noted first: a stop of the whole study may end the run at once.
		what := "stop the whole study"
		if len(req.IDs) > 0 {
			what = "stop trial(s) " + joinIDs(req.IDs)
		}
		if err := s.Edit(ctx, func(e *scheduler.Edit) error { note(e, "stop", req, what); return nil }); err != nil {
			return rep, err
		}
		var err error
		rep.Stop, err = s.StopTrials(ctx, req.IDs, req.Reason)
		return rep, err
	}
	err := s.Edit(ctx, func(e *scheduler.Edit) error {
		var err error
		rep, err = apply(e, req, true)
		return err
	})
	return rep, err
}

// Stored carries out a request on a study no scheduler runs: st's record
// is changed in place, for the caller to commit
// (scheduler.Change{Study: st.Study}); reruns and queued configurations
// wait in it for the study's next run. file is the study's space (its
// stored space file). A stop is refused: nothing runs to stop.
func Stored(st *scheduler.StudyState, file *spacefile.File, req Request, now time.Time) (Reply, error) {
	if req.Op == "stop" {
		return Reply{}, badRequest("no automl search runs study %s: nothing to stop", st.Study.Name)
	}
	rep, err := apply(edit(st, file, now), req, false)
	if err == nil {
		st.Study.Updated = now
	}
	return rep, err
}

// edit is a stored study as a change sees it.
func edit(st *scheduler.StudyState, file *spacefile.File, now time.Time) *scheduler.Edit {
	e := &scheduler.Edit{Study: st.Study, Counts: map[trial.State]int{}, Elapsed: st.Study.Elapsed, File: file, Now: now}
	for i := range st.Trials {
		r := &st.Trials[i]
		e.Trials = append(e.Trials, r)
		e.Counts[r.State]++
		// Imported results never count against the trial budget.
		if r.State != trial.Imported && (r.State != trial.Failed || (file != nil && file.Budget.CountFailed)) {
			e.Counted++
		}
	}
	return e
}

// wireReply is a reply as it travels, with the request's error.
type wireReply struct {
	Reply Reply  `json:"reply"`
	Error string `json:"error,omitempty"`
	Bad   bool   `json:"bad_request,omitempty"`
}

// Serve answers a request (JSON, as Send sends it) for a running study:
// what its scheduler's side of the transport calls.
func Serve(ctx context.Context, s Running, data []byte) []byte {
	var req Request
	var w wireReply
	if err := json.Unmarshal(data, &req); err != nil {
		w.Error, w.Bad = fmt.Sprintf("unreadable request: %v", err), true
	} else if w.Reply, err = Live(ctx, s, req); err != nil {
		w.Error, w.Bad = err.Error(), errors.Is(err, ErrBadRequest)
	}
	out, _ := json.Marshal(w)
	return out
}

// Send sends a request to the scheduler running a study over roundTrip
// (the transport) and reads its reply; a bad request comes back as an
// error wrapping ErrBadRequest.
func Send(ctx context.Context, roundTrip func(context.Context, []byte) ([]byte, error), req Request) (Reply, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return Reply{}, err
	}
	out, err := roundTrip(ctx, data)
	if err != nil {
		return Reply{}, err
	}
	var w wireReply
	if err := json.Unmarshal(out, &w); err != nil {
		return Reply{}, fmt.Errorf("the scheduler's answer is unreadable: %w", err)
	}
	switch {
	case w.Bad:
		return w.Reply, &requestError{w.Error}
	case w.Error != "":
		return w.Reply, errors.New(w.Error)
	}
	return w.Reply, nil
}
