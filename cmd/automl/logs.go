package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"automl/internal/bytesize"
	"automl/scheduler"
	"automl/trial/triallog"
)

type logsFlags struct {
	db         string
	attempt    int
	follow     bool
	tail       int
	timestamps bool
	asJSON     bool
}

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newLogsCmd()) }
}

func newLogsCmd() *cobra.Command {
	var f logsFlags
	cmd := &cobra.Command{
		Use:   "logs STUDY TRIAL",
		Short: "Print what a trial's trainer printed",
		Long: `Prints a trial's log: every line its trainer printed, on stdout and
stderr, in order, as the study file keeps it: the last attempt's (a trial
runs again after a failure or a lost worker, or from a checkpoint when it
is promoted), or another one's with --attempt. Each attempt keeps its
most recent lines up to trainer.log_limit (default 1 MiB); where lines
were dropped, a line [automl: ...] says how much.

--follow prints the lines of a running trial as they come (on a fleet as
on one machine: workers send them to the study's scheduler every half
second) and ends when the trial does; without --attempt it follows the
trial's next attempt too, when it runs again.

The log goes to stdout; a line about the trial (its attempt, state and
worker, how much it printed) goes to stderr. Works while the study runs.`,
		Example: `  automl logs quickstart 12
  automl logs mlp-sweep 7 --attempt 1 --tail 50
  automl logs mlp-sweep 7 --follow --timestamps
  automl logs mlp-sweep 7 --json | jq -r 'select(.stream == "stderr") | .text'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runLogs(cmd, &f, args[0], args[1]) },
	}
	addDBFlag(cmd, &f.db)
	fl := cmd.Flags()
	fl.IntVar(&f.attempt, "attempt", 0, "the attempt to print (default: the trial's last)")
	fl.BoolVarP(&f.follow, "follow", "f", false, "print the lines of a running trial as they come, until it ends")
	fl.IntVar(&f.tail, "tail", 0, "only the last N lines")
	fl.BoolVarP(&f.timestamps, "timestamps", "t", false, "start each line with its time and stream")
	fl.BoolVar(&f.asJSON, "json", false, "one JSON object per line (time, stream, text, attempt), for programs")
	return cmd
}

// logPoll is how often --follow reads the study file for new lines; they
// reach it every half second (natsbus's logFlushEvery) plus a commit.
const logPoll = 250 * time.Millisecond

func runLogs(cmd *cobra.Command, f *logsFlags, study, trialArg string) error {
	id, err := strconv.Atoi(trialArg)
	if err != nil || id < 0 {
		return usagef("trial %q: want a trial id (a number, as automl trials shows)", trialArg)
	}
	switch {
	case f.attempt < 0:
		return usagef("--attempt %d: attempts count from 1", f.attempt)
	case f.tail < 0:
		return usagef("--tail %d: want a number of lines, at least 1", f.tail)
	}
	st, err := openReader(f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := st.Log(ctx, study, triallog.Query{ID: id, Attempt: f.attempt, Tail: f.tail})
	switch {
	case errors.Is(err, scheduler.ErrStudyNotFound):
		return usageError{fmt.Errorf("no study %q in %s%s", study, f.db, knownStudies(cmd, st))}
	case errors.Is(err, triallog.ErrNoTrial):
		return usagef("study %s has no trial %d (automl trials %s lists them)", study, id, study)
	case err != nil:
		return err
	}
	if f.attempt > l.Current {
		return usagef("trial %d of study %s has %s; there is no attempt %d", id, study, attemptsText(l.Current), f.attempt)
	}
	out := bufio.NewWriter(cmd.OutOrStdout())
	defer out.Flush()
	p := &logPrinter{w: out, f: f}
	if !f.asJSON {
		fmt.Fprintln(cmd.ErrOrStderr(), describeLog(study, l))
	}
	p.print(l)
	if !f.follow || l.Attempt < l.Current || !inFlight(l.State) {
		return out.Flush()
	}
	return followLog(ctx, cmd, st, p, study, l)
}

// followLog prints a running attempt's new lines until it ends (and,
// without --attempt, the trial's later attempts), or until the study stops
// running.
func followLog(ctx context.Context, cmd *cobra.Command, st scheduler.Reader, p *logPrinter, study string, l triallog.Log) error {
	q := triallog.Query{ID: l.ID, Attempt: l.Attempt, After: l.Last}
	tick := time.NewTicker(logPoll)
	defer tick.Stop()
	lastCheck := time.Now()
	for {
		if err := p.w.Flush(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return errInterrupted
		case <-tick.C:
		}
		next, err := st.Log(ctx, study, q)
		if err != nil {
			if ctx.Err() != nil {
				return errInterrupted
			}
			return err
		}
		p.print(next)
		if next.Last != (triallog.Pos{}) {
			q.After = next.Last
		}
		switch {
		case next.Attempt < next.Current && p.f.attempt == 0:
			// The trial runs again: follow its next attempt.
			q = triallog.Query{ID: l.ID, Attempt: next.Attempt + 1}
			fmt.Fprintf(cmd.ErrOrStderr(), "trial %d runs again: attempt %d\n", l.ID, q.Attempt)
			continue
		case next.Attempt < next.Current || !inFlight(next.State):
			fmt.Fprintf(cmd.ErrOrStderr(), "trial %d attempt %d ended (%s)\n", l.ID, next.Attempt, next.State)
			return p.w.Flush()
		}
		if time.Since(lastCheck) > 2*time.Second {
			lastCheck = time.Now()
			if running, known := studyRunning(ctx, st, study); known && !running {
				fmt.Fprintf(cmd.ErrOrStderr(), "study %s is not running: trial %d (%s) waits until it is continued (automl search)\n", study, l.ID, next.State)
				return p.w.Flush()
			}
		}
	}
}

// studyRunning reports whether the study's status is running.
func studyRunning(ctx context.Context, st scheduler.Reader, study string) (running, known bool) {
	infos, err := st.Studies(ctx)
	if err != nil {
		return false, false
	}
	for _, in := range infos {
		if in.Name == study {
			return in.Status == scheduler.StudyRunning, true
		}
	}
	return false, false
}

func inFlight(state string) bool { return state == "pending" || state == "running" }

// logPrinter writes lines as the flags ask.
type logPrinter struct {
	w *bufio.Writer
	f *logsFlags
}

func (p *logPrinter) print(l triallog.Log) {
	for _, line := range l.Lines {
		switch {
		case p.f.asJSON:
			b, _ := json.Marshal(struct {
				Time    time.Time `json:"time"`
				Stream  string    `json:"stream"`
				Text    string    `json:"text"`
				Attempt int       `json:"attempt"`
			}{line.Time, line.Stream.String(), line.Text, l.Attempt})
			p.w.Write(append(b, '\n'))
		case p.f.timestamps:
			fmt.Fprintf(p.w, "%s %-6s %s\n", stamp(line.Time), line.Stream, line.Text)
		default:
			io.WriteString(p.w, line.Text+"\n")
		}
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return strings.Repeat(" ", len("2006-01-02 15:04:05.000"))
	}
	return t.Local().Format("2006-01-02 15:04:05.000")
}

// describeLog is the line about a log that goes to stderr: whose it is,
// where the trial stands, how much it holds.
func describeLog(study string, l triallog.Log) string {
	var b strings.Builder
	fmt.Fprintf(&b, "study %s trial %d, attempt %d of %d (%s)", study, l.ID, l.Attempt, l.Current, l.State)
	if l.Attempt < l.Current {
		b.Reset()
		fmt.Fprintf(&b, "study %s trial %d, attempt %d of %d (an earlier attempt; the trial is %s)", study, l.ID, l.Attempt, l.Current, l.State)
	}
	if l.Worker != "" {
		fmt.Fprintf(&b, ", on %s", l.Worker)
	}
	switch {
	case l.Total == 0 && l.Dropped == 0 && inFlight(l.State) && l.Attempt == l.Current:
		b.WriteString(": nothing printed yet")
	case l.Total == 0 && l.Dropped == 0:
		b.WriteString(": it printed nothing")
	default:
		fmt.Fprintf(&b, ": %s line%s, %s", thousands(l.Total), plural(l.Total), bytesize.Format(l.Bytes))
		if l.Dropped > 0 {
			fmt.Fprintf(&b, " (and %s of earlier output dropped)", bytesize.Format(l.Dropped))
		}
	}
	if others := otherAttempts(l); others != "" {
		fmt.Fprintf(&b, "; attempt%s %s printed too (--attempt)", plural(strings.Count(others, ",")+1), others)
	}
	return b.String()
}

func otherAttempts(l triallog.Log) string {
	var s []string
	for _, a := range l.Attempts {
		if a != l.Attempt {
			s = append(s, strconv.Itoa(a))
		}
	}
	return strings.Join(s, ", ")
}

func attemptsText(n int) string {
	if n == 1 {
		return "one attempt"
	}
	return fmt.Sprintf("attempts 1 to %d", n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// thousands writes n with commas: 41,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
