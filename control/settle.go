package control

import (
	"fmt"
	"strings"
	"time"

	"automl/scheduler"
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

// Flags are the budget flags automl search was given: --trials N or +N,
// --timeout D or +D (zero: not given).
type Flags struct {
	Trials     int
	AddTrials  bool
	Timeout    time.Duration
	AddTimeout bool
	// By runs the study (user@host), for the history.
	By string
}

// Settle decides the budget a run of automl search starts with (it is
// scheduler.Config.Settle, given the flags and the space file). The
// stored budget follows the last explicit change: --trials N or +N
// (--timeout alike) changes it now; otherwise the space file's value
// applies only when the file changed it since the study last ran, so a
// budget raised by automl budget or a flag stays; a new study takes the
// file's, with what the flags add. A budget below what the study has used
// is refused (ErrBadRequest). On a resumed study the space file's
// enqueue: configurations that no trial or queued configuration has yet
// are queued. note says which budget applies and why ("" for a new study).
func Settle(st *scheduler.Study, recs []trial.Record, created bool, file *spacefile.File, f Flags, now time.Time) (note string, err error) {
	fb := file.Budget
	defer func() {
		if err == nil {
			st.FileTrials, st.FileTimeout = new(fb.Trials), new(fb.Timeout)
		}
	}()
	if created {
		if f.Trials > 0 {
			st.Trials = f.Trials
			if f.AddTrials {
				st.Trials += fb.Trials
			}
		}
		if f.Timeout > 0 {
			st.Timeout = f.Timeout
			if f.AddTimeout {
				st.Timeout += fb.Timeout
			}
		}
		return "", nil
	}
	e := edit(&scheduler.StudyState{Study: st, Trials: recs}, file, now)
	req := func(cmd string) Request { return Request{By: f.By, Command: cmd} }
	n, d := st.Trials, st.Timeout
	why := map[string]string{}
	// A flag that repeats the stored budget (the same command run again)
	// changes nothing, even where the study has used it up: the run says
	// so and how to go on, instead of refusing the command.
	switch {
	case f.Trials > 0 && !f.AddTrials && f.Trials == st.Trials:
	case f.Trials > 0:
		asked := fmt.Sprintf("--trials %s%d", plus(f.AddTrials), f.Trials)
		if n, err = trials(e, f.Trials, f.AddTrials, asked); err != nil {
			return "", err
		}
		why["trials"] = asked
	case st.FileTrials != nil && *st.FileTrials != fb.Trials:
		if n = fb.Trials; n > 0 && n < e.Counted {
			return "", badRequest("the space file's budget.trials %d is below the %d trials study %s already has (%s); raise it, or give --trials", n, e.Counted, st.Name, countsText(e.Counts))
		}
		why["trials"] = "the space file's, changed since the study last ran"
	}
	switch {
	case f.Timeout > 0 && !f.AddTimeout && f.Timeout == st.Timeout:
	case f.Timeout > 0:
		asked := fmt.Sprintf("--timeout %s%s", plus(f.AddTimeout), f.Timeout)
		if d, err = timeout(e, f.Timeout, f.AddTimeout, asked); err != nil {
			return "", err
		}
		why["timeout"] = asked
	case st.FileTimeout != nil && *st.FileTimeout != fb.Timeout:
		if d = fb.Timeout; d > 0 && d <= e.Elapsed {
			return "", badRequest("the space file's budget.timeout %s is no more than the %s study %s has run already; raise it, or give --timeout", d, e.Elapsed.Round(time.Second), st.Name)
		}
		why["timeout"] = "the space file's, changed since the study last ran"
	}
	var said []string
	if n != st.Trials {
		said = append(said, fmt.Sprintf("budget: %s (%s)", setTrials(e, n, req(command(why["trials"]))), why["trials"]))
	}
	if d != st.Timeout {
		said = append(said, fmt.Sprintf("budget: %s (%s)", setTimeout(e, d, req(command(why["timeout"]))), why["timeout"]))
	}
	queueFromFile(e, file)
	if len(said) > 0 {
		return strings.Join(said, "; "), nil
	}
	return kept(st, fb), nil
}

// command is what a budget change records as its command.
func command(why string) string {
	if strings.HasPrefix(why, "--") {
		return "automl search " + why
	}
	return "the space file"
}

// kept says which budget a resumed study keeps, and why when the space
// file says otherwise.
func kept(st *scheduler.Study, fb spacefile.Budget) string {
	var parts []string
	switch {
	case st.Trials != fb.Trials:
		parts = append(parts, fmt.Sprintf("budget: %s trials (%s; the space file says %s)", countText(st.Trials), lastChange(st, "trials"), countText(fb.Trials)))
	case st.Trials > 0:
		parts = append(parts, fmt.Sprintf("budget: %d trials (the space file's)", st.Trials))
	}
	if st.Timeout != fb.Timeout {
		parts = append(parts, fmt.Sprintf("timeout %s (%s; the space file says %s)", timeoutText(st.Timeout), lastChange(st, "timeout"), timeoutText(fb.Timeout)))
	}
	if len(parts) == 0 {
		return "budget: no trials, timeout or max_resource_total: the study runs until it is stopped"
	}
	return strings.Join(parts, "; ")
}

// lastChange describes the last recorded change of a budget ("trials",
// "timeout").
func lastChange(st *scheduler.Study, what string) string {
	for i := len(st.History) - 1; i >= 0; i-- {
		if e := st.History[i]; e.Op == "budget" && strings.HasPrefix(e.What, what+" ") {
			by := ""
			if e.By != "" {
				by = " by " + e.By
			}
			return fmt.Sprintf("set by %s on %s%s", e.Command, e.Time.Local().Format("2006-01-02 15:04"), by)
		}
	}
	return "kept from the study's last run"
}

// queueFromFile queues the space file's enqueue: configurations that no
// trial and no queued configuration has yet (the file may have gained
// some since the study was created, when all were queued).
func queueFromFile(e *scheduler.Edit, file *spacefile.File) {
	seen := map[string]bool{}
	for _, r := range e.Trials {
		if r.State != trial.Imported { // another study's result: this one may still run it
			seen[valuesKey(r.Params)] = true
		}
	}
	for _, q := range e.Study.Queue {
		seen[valuesKey(q.Params)] = true
	}
	for _, p := range file.Enqueue {
		if k := valuesKey(p.Values); !seen[k] && len(e.Study.Queue) < spacefile.MaxPoints {
			seen[k] = true
			e.Study.Queue = append(e.Study.Queue, scheduler.Queued{Params: p.Values, Source: p.Source, Time: e.Now})
		}
	}
}

func valuesKey(vs value.Values) string {
	var b strings.Builder
	for _, nv := range vs {
		fmt.Fprintf(&b, "%s=%s|", nv.Name, nv.Value)
	}
	return b.String()
}
