package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"automl/backends/natsbus"
	"automl/control"
	"automl/scheduler"
)

// urlFile, inside the embedded server's store directory, holds the URL
// automl search's embedded server listens on, so automl stop on the same
// machine finds it without --nats.
const urlFile = "client-url"

func newStopCmd() *cobra.Command {
	var f controlFlags
	var reason string
	cmd := &cobra.Command{
		Use:   "stop STUDY [TRIAL...]",
		Short: "Stop trials of a running study, or the whole study",
		Long: `Asks the scheduler running the study (automl search) to stop trials.

With trial ids, those trials end as stopped: a running one's worker stops
its trainer, a queued one never runs, and neither is retried (automl retry
reruns them). Without ids, the whole study stops taking new trials;
running trials finish, and the study can be continued later with the same
automl search command. The stop is an entry in the study's history.

It reaches the scheduler through NATS: --nats when the study runs on one
(or AUTOML_NATS_URL), otherwise the embedded server of the automl search
running on the study file (--db) on this machine; that study file is
checked first, and a damaged one refused, as every command does.

` + natsEnvHelp,
		Example: `  automl stop quickstart 12 17
  automl stop quickstart
  automl stop mlp-sweep 4 --nats nats://nats.internal:4222 --user scheduler`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids []int
			for _, a := range args[1:] {
				id, err := strconv.Atoi(a)
				if err != nil || id < 0 {
					return usagef("trial %q: want a trial id (a number, as automl trials shows)", a)
				}
				ids = append(ids, id)
			}
			what := "automl stop " + args[0]
			if len(ids) > 0 {
				what += " " + strings.Join(args[1:], " ")
			}
			if f.nats.url == "" && os.Getenv("AUTOML_NATS_URL") == "" {
				// The study file here: a damaged one is refused, as by every
				// command (through the running search's socket this is a ping).
				st, err := openReader(f.db)
				if err != nil {
					return err
				}
				st.Close()
			}
			rep, err := f.change(cmd, args[0], control.Request{Op: "stop", IDs: ids, Reason: reason, Command: what}, false)
			if err != nil {
				return err
			}
			printStop(cmd, args[0], rep.Stop)
			if len(rep.Stop.Unknown) > 0 {
				return usagef("study %s has no trial %s", args[0], joinInts(rep.Stop.Unknown))
			}
			return nil
		},
	}
	addControlFlags(cmd, &f)
	_ = cmd.Flags().MarkHidden("json")
	cmd.Flags().StringVar(&reason, "reason", "", "note recorded on the stopped trials (default: stopped by the user)")
	return cmd
}

// connectEmbedded reaches the embedded server of the automl search running
// on the study file here, as its fleet's scheduler.
func (f *controlFlags) connectEmbedded(log *slog.Logger) (*nats.Conn, error) {
	b, err := os.ReadFile(filepath.Join(f.db+".nats", urlFile))
	if err != nil {
		return nil, usagef("no automl search is running on %s here (%v); give --nats URL for a study on a NATS server", f.db, err)
	}
	url := strings.TrimSpace(string(b))
	f.fleet.db = f.db
	d, err := f.fleet.open()
	if err != nil {
		return nil, err
	}
	opts, err := natsbus.SchedulerOptions(d, url)
	if err != nil {
		return nil, err
	}
	nc, err := natsbus.Connect(url, "automl-control", log, opts...)
	if errors.Is(err, natsbus.ErrRefused) {
		return nil, usageError{err}
	}
	return nc, err
}

func printStop(cmd *cobra.Command, study string, res scheduler.StopResult) {
	w := cmd.OutOrStdout()
	if res.Draining {
		fmt.Fprintf(w, "study %s: stopping; running trials finish, no new ones start (continue it later with automl search)\n", study)
	}
	if len(res.Stopping) > 0 {
		fmt.Fprintf(w, "study %s: stopping running trial(s) %s\n", study, joinInts(res.Stopping))
	}
	if len(res.Stopped) > 0 {
		fmt.Fprintf(w, "study %s: stopped trial(s) %s\n", study, joinInts(res.Stopped))
	}
	for id, st := range res.Finished {
		fmt.Fprintf(w, "study %s: trial %d had already ended (%s)\n", study, id, st)
	}
}

func joinInts(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ", ")
}
