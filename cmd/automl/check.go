package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"automl/backends/bolt"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newCheckCmd()) }
}

func newCheckCmd() *cobra.Command {
	var db string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify a study file: bbolt's page check and every record's checksum",
		Long: `Verify the whole study file: its pages (the page tree read from the file's
bytes, then bbolt's own consistency check of pages and freelist), then every
record (study, snapshot, trial, report): its checksum, that it decodes, and
that it is stored under its own key. It prints what it checked and every
damaged record by study and trial.

On a file that a running automl search holds, that search checks it and
answers through its socket (its commits wait while the pages are checked:
about 40 ms per 100,000 trials; the whole check takes about 1 s per
100,000 trials).

Exit status: 0 the file is clean, 1 it is damaged (or is not a study file),
2 bad input (no such file, a file of another automl version).

A damaged file is refused by every command. Restore the last good copy:
automl search keeps a checked backup beside the file (<db>.backup); check
it, then copy it over the damaged file.`,
		Example: `  automl check
  automl check --db runs/exp1.db
  automl check --db automl.db.backup && cp automl.db.backup automl.db
  automl check --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd, db, asJSON) },
	}
	addDBFlag(cmd, &db)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for programs")
	return cmd
}

// checkJSON is what check --json prints.
type checkJSON struct {
	Clean bool `json:"clean"`
	*bolt.CheckResult
	Backup      string     `json:"backup,omitempty"`
	BackupSaved *time.Time `json:"backup_saved,omitempty"`
}

func runCheck(cmd *cobra.Command, db string, asJSON bool) error {
	if fi, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return usagef("no study file %s (pass --db)", db)
	} else if err == nil && fi.IsDir() {
		return usagef("%s is a directory, not a study file", db)
	}
	res, err := bolt.Check(cmd.Context(), db)
	if err != nil {
		if errors.Is(err, bolt.ErrNewerSchema) || errors.Is(err, bolt.ErrOldSchema) || errors.Is(err, fs.ErrNotExist) {
			return usageError{err}
		}
		return err
	}
	var backup string
	var saved time.Time
	if fi, err := os.Stat(bolt.BackupPath(db)); err == nil && fi.Mode().IsRegular() {
		backup, saved = bolt.BackupPath(db), fi.ModTime()
	}
	w := cmd.OutOrStdout()
	if asJSON {
		out := checkJSON{Clean: res.Clean(), CheckResult: res, Backup: backup}
		if backup != "" {
			out.BackupSaved = &saved
		}
		if err := writeJSON(w, out); err != nil {
			return err
		}
	} else {
		printCheck(w, res, backup, saved)
	}
	if !res.Clean() {
		if errors.Is(res.Err(), bolt.ErrNotStore) {
			return fmt.Errorf("%s is not an automl study file (or one damaged beyond reading): %s", db, res.Refused)
		}
		return fmt.Errorf("%s is damaged: %v", db, res.Err())
	}
	return nil
}

func printCheck(w io.Writer, res *bolt.CheckResult, backup string, saved time.Time) {
	state := "clean"
	if !res.Clean() {
		state = "DAMAGED"
	}
	fmt.Fprintf(w, "%s: %s\n", res.File, state)
	if res.Via != "" {
		fmt.Fprintf(w, "  checked by %s, which holds the file\n", res.Via)
	}
	if res.Refused != "" {
		fmt.Fprintf(w, "  not readable as a study file: %s\n", res.Refused)
	} else {
		if res.PageErrors == 0 {
			fmt.Fprintln(w, "  pages: the page tree and bbolt's consistency check found nothing wrong")
		} else {
			fmt.Fprintf(w, "  pages: %d problem(s):\n", res.PageErrors)
			for _, p := range res.Pages {
				fmt.Fprintf(w, "    %s\n", p)
			}
			if n := res.PageErrors - len(res.Pages); n > 0 {
				fmt.Fprintf(w, "    ... and %d more\n", n)
			}
		}
		fmt.Fprintf(w, "  records: %d studies, %d trials, %d reports, %d log records checked", res.Studies, res.Trials, res.Reports, res.Logs)
		if res.DamagedCount == 0 {
			fmt.Fprintln(w, "; every checksum matches and every record decodes")
		} else {
			fmt.Fprintf(w, "; %d damaged:\n", res.DamagedCount)
			for _, d := range res.Damaged {
				fmt.Fprintf(w, "    %s\n", damageText(d))
			}
			if n := res.DamagedCount - len(res.Damaged); n > 0 {
				fmt.Fprintf(w, "    ... and %d more\n", n)
			}
		}
	}
	if res.Clean() {
		return
	}
	stop := ""
	if res.Via != "" {
		stop = "stop the automl search that holds it, then "
	}
	if backup != "" {
		fmt.Fprintf(w, "To recover: %srestore the last good copy, the backup %s (saved %s): automl check --db %s && cp %s %s\n",
			stop, backup, saved.Local().Format("2006-01-02 15:04:05"), backup, backup, res.File)
		if fi, err := os.Stat(res.File + ".nats"); err == nil && fi.IsDir() {
			fmt.Fprintf(w, "  %s\n", natsAdvice(res.File))
		}
	} else {
		fmt.Fprintf(w, "To recover: %srestore it from your last good copy (there is no backup at %s)\n", stop, bolt.BackupPath(res.File))
	}
}

func damageText(d bolt.Damage) string {
	where := d.Record
	if d.Study != "" {
		where = fmt.Sprintf("study %q %s", d.Study, d.Record)
	}
	switch {
	case d.Trial != nil && d.Step != nil:
		where = fmt.Sprintf("study %q trial %d report at step %v", d.Study, *d.Trial, *d.Step)
	case d.Trial != nil && d.Record == "log":
		where = fmt.Sprintf("study %q trial %d log", d.Study, *d.Trial)
	case d.Trial != nil:
		where = fmt.Sprintf("study %q trial %d", d.Study, *d.Trial)
	}
	return where + ": " + d.Problem
}
