package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"automl/backends/bolt"
	"automl/backends/natsbus"
	"automl/control"
	"automl/scheduler"
	"automl/spacefile"
)

// controlFlags are the flags of the commands that change a study (budget,
// enqueue, retry, stop): where the study is, and the NATS server of the
// scheduler running it, if one does.
type controlFlags struct {
	nats   natsFlags
	fleet  fleetFlags
	db     string
	asJSON bool
}

func addControlFlags(cmd *cobra.Command, f *controlFlags) {
	addNATSFlags(cmd, &f.nats, "the NATS server of the automl search running the study (default: the embedded server of the automl search on --db)")
	addDBFlag(cmd, &f.db)
	addFleetFlag(cmd, &f.fleet)
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print what changed as JSON (for programs)")
}

// controlHelp is the part of the help every command that changes a study
// shares.
const controlHelp = `On a running study the change goes through the automl search that runs
it, which applies it at once: --nats when the study runs on a NATS server
(or AUTOML_NATS_URL), otherwise the embedded server of the automl search
running on the study file (--db) on this machine. A study nobody runs is
changed in its study file, and its next automl search carries the change
out. Either way the change is committed in the study file with an entry
in the study's history (automl history STUDY).`

// change carries out a request on the study: through the scheduler that
// runs it, or in the study file when none does (stored: false refuses
// that, for a stop). It prints what changed.
func (f *controlFlags) change(cmd *cobra.Command, study string, req control.Request, stored bool) (control.Reply, error) {
	f.nats.resolve(cmd)
	f.fleet.db = f.db
	req.By = whoami()
	ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
	defer cancel()
	rep, err := f.send(ctx, study, req, stored)
	switch {
	case errors.Is(err, control.ErrBadRequest):
		return rep, usageError{err}
	case err != nil:
		return rep, err
	}
	if f.asJSON {
		return rep, writeJSON(cmd.OutOrStdout(), rep)
	}
	for _, line := range rep.Done {
		fmt.Fprintf(cmd.OutOrStdout(), "study %s: %s\n", study, line)
	}
	return rep, nil
}

func (f *controlFlags) send(ctx context.Context, study string, req control.Request, stored bool) (control.Reply, error) {
	log := slog.New(slog.DiscardHandler)
	if f.nats.url != "" {
		nc, err := f.nats.connect("automl-control", log)
		if err != nil {
			return control.Reply{}, err
		}
		defer nc.Close()
		rep, err := f.ask(ctx, nc, study, req)
		switch {
		case errors.Is(err, natsbus.ErrNoScheduler) && !stored:
			return rep, usagef("%v: nothing to stop (is automl search running it, on this NATS server?)", err)
		case !errors.Is(err, natsbus.ErrNoScheduler):
			return rep, err
		}
		if _, serr := os.Stat(f.db); serr != nil {
			return rep, usagef("%v, and there is no study file %s here: run the command where the study file is, or give --db", err, f.db)
		}
		return f.stored(study, req)
	}
	if _, err := os.Stat(f.db); err != nil {
		return control.Reply{}, usagef("no study file %s (run automl search first, or pass --db)", f.db)
	}
	held := false
	if stored {
		rep, err := f.stored(study, req)
		var inUse *bolt.InUseError
		if !errors.As(err, &inUse) {
			return rep, err
		}
		held = true
	}
	// A scheduler holds the study file: ask it through its embedded server.
	nc, err := f.connectEmbedded(log)
	if err != nil {
		return control.Reply{}, err
	}
	defer nc.Close()
	rep, err := f.ask(ctx, nc, study, req)
	if errors.Is(err, natsbus.ErrNoScheduler) {
		if held {
			return rep, usagef("study %s is not running, and its study file %s is held by the automl search of another study: change it once that search ends", study, f.db)
		}
		return rep, usagef("%v: nothing to stop (is automl search running it, on this NATS server?)", err)
	}
	return rep, err
}

func (f *controlFlags) ask(ctx context.Context, nc *nats.Conn, study string, req control.Request) (control.Reply, error) {
	return control.Send(ctx, func(ctx context.Context, data []byte) ([]byte, error) {
		return natsbus.RequestControl(ctx, nc, study, data)
	}, req)
}

// stored changes a study no scheduler runs, in its study file; the file
// held by a running automl search is an *bolt.InUseError.
func (f *controlFlags) stored(study string, req control.Request) (control.Reply, error) {
	st, err := bolt.Open(f.db, &bolt.Options{Timeout: 300 * time.Millisecond, Command: "automl " + req.Op})
	if err != nil {
		var inUse *bolt.InUseError
		if errors.As(err, &inUse) {
			return control.Reply{}, err
		}
		return control.Reply{}, withNATSAdvice(f.db, err)
	}
	defer st.Close()
	ctx := context.Background()
	state, err := st.Load(ctx, study)
	if errors.Is(err, scheduler.ErrStudyNotFound) || (err == nil && state.Study == nil) {
		return control.Reply{}, usagef("no study %q in %s (automl studies lists them)", study, f.db)
	}
	if err != nil {
		return control.Reply{}, err
	}
	file, err := spacefile.ParseWithoutTrainer(state.Study.SpaceFile, state.Study.SpaceText)
	if err != nil {
		return control.Reply{}, fmt.Errorf("study %s: its stored space file no longer parses: %w", study, err)
	}
	rep, err := control.Stored(&state, file, req, time.Now())
	if err != nil {
		return rep, err
	}
	return rep, st.Commit(ctx, study, scheduler.Change{Study: state.Study})
}

// whoami is user@host, for a study's history.
func whoami() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	if name == "" {
		name = "unknown"
	}
	return name + "@" + host
}

// budgetArg is a trial budget or timeout as typed: N (set) or +N (add).
type budgetArg struct {
	text string
	add  bool
}

func (b *budgetArg) String() string { return b.text }
func (b *budgetArg) Type() string   { return "N|+N" }
func (b *budgetArg) Set(s string) error {
	b.text, b.add = s, strings.HasPrefix(s, "+")
	return nil
}

// trials reads the argument as a trial budget (0: not given).
func (b *budgetArg) trials(flag string) (int, error) {
	if b.text == "" {
		return 0, nil
	}
	var n int
	if _, err := fmt.Sscanf(strings.TrimPrefix(b.text, "+"), "%d", &n); err != nil || fmt.Sprint(n) != strings.TrimPrefix(b.text, "+") {
		return 0, usagef("%s %q: want a number of trials, N to set the budget or +N to add N", flag, b.text)
	}
	switch {
	case n <= 0:
		return 0, usagef("%s must be > 0, got %s", flag, b.text)
	case n > spacefile.MaxTrials:
		return 0, usagef("%s must be at most %d (a billion), got %s", flag, spacefile.MaxTrials, b.text)
	}
	return n, nil
}

// timeout reads the argument as a time budget (0: not given).
func (b *budgetArg) timeout(flag string) (time.Duration, error) {
	if b.text == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(b.text, "+"))
	switch {
	case err != nil:
		return 0, usagef("%s %q: want a duration such as 90s, 30m or 2h (+2h adds two hours)", flag, b.text)
	case d <= 0:
		return 0, usagef("%s must be > 0, got %s", flag, b.text)
	case d > spacefile.MaxTimeout:
		return 0, usagef("%s must be at most %dh (a year), got %s", flag, int(spacefile.MaxTimeout.Hours()), b.text)
	}
	return d, nil
}

// printHistory writes a study's history, oldest first.
func printHistory(w io.Writer, st *scheduler.Study) error {
	if len(st.History) == 0 {
		_, err := fmt.Fprintf(w, "study %s: no changes since it was created (%s)\n", st.Name, st.Created.Local().Format("2006-01-02 15:04"))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tBY\tCHANGE\tCOMMAND")
	for _, e := range st.History {
		fmt.Fprintf(tw, "%s\t%s\t%s: %s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.By, e.Op, e.What, e.Command)
	}
	return tw.Flush()
}
