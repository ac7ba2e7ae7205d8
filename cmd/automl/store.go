package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"automl/backends/bolt"
	"automl/scheduler"
)

const defaultDB = "automl.db"

func addDBFlag(cmd *cobra.Command, db *string) {
	cmd.Flags().StringVar(db, "db", defaultDB, "the study file (bbolt)")
}

// openStore opens the study file for writing (creating it). A damaged
// file, or one that is no study file, is refused with a *bolt.DamagedError
// that says how to recover (exit status 1).
func openStore(path string, o *bolt.Options) (*bolt.Store, error) {
	s, err := bolt.Open(path, o)
	if err != nil {
		var inUse *bolt.InUseError
		var damaged *bolt.DamagedError
		switch {
		case errors.As(err, &inUse):
			return nil, usageError{err}
		case errors.As(err, &damaged):
			return nil, withNATSAdvice(path, err)
		case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOTDIR):
			// The path given cannot be opened: the user's to fix (exit 2).
			return nil, usagef("study file %s: cannot open it: %v (check --db and its directory's permissions)", path, unwrapPath(err))
		}
		return nil, fmt.Errorf("open study file: %w", err)
	}
	return s, nil
}

// unwrapPath is the *fs.PathError inside err (its operation, path and
// cause), or err.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe
	}
	return err
}

// openReader opens the study file for reading; it works while a study
// runs. It checks the file whole first, as openStore does, and refuses a
// damaged one the same way.
func openReader(path string) (scheduler.Reader, error) {
	s, err := bolt.OpenReader(path)
	if err != nil {
		var damaged *bolt.DamagedError
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, usagef("no study file %s (run automl search first, or pass --db)", path)
		case errors.As(err, &damaged):
			return nil, withNATSAdvice(path, err)
		}
		return nil, fmt.Errorf("open study file: %w", err)
	}
	return s, nil
}

// withNATSAdvice adds to the refusal of a damaged study file that has a
// backup what a restore also needs when the embedded NATS server kept its
// data beside the file: jobs queued there and results not yet committed
// belong to trials the older backup does not have, and would be taken for
// the trials that reuse their ids.
func withNATSAdvice(db string, err error) error {
	var damaged *bolt.DamagedError
	if !errors.As(err, &damaged) || damaged.Backup == "" {
		return err
	}
	if fi, serr := os.Stat(db + ".nats"); serr != nil || !fi.IsDir() {
		return err
	}
	return fmt.Errorf("%w\n  %s", err, natsAdvice(db))
}

func natsAdvice(db string) string {
	return fmt.Sprintf("With the backup, also remove the embedded NATS server's data, rm -r %s.nats: its queued jobs and results belong to trials newer than the backup", db)
}

// storeFlags are automl search's flags about the study file.
type storeFlags struct {
	backupEvery    int
	backupInterval time.Duration
	maxSize        int // for tests: a full disk at this size
}

func addStoreFlags(cmd *cobra.Command, f *storeFlags) {
	fl := cmd.Flags()
	fl.IntVar(&f.backupEvery, "backup-every", 10000, "remake the backup of the study file (<db>.backup) after this many commits (0: not by count)")
	fl.DurationVar(&f.backupInterval, "backup-interval", 10*time.Minute, "remake the backup after this much time (0: not by time; both 0: no backup)")
	fl.IntVar(&f.maxSize, "db-max-size", 0, "fail commits that would grow the study file past this many bytes, as a full disk would (for tests)")
	_ = fl.MarkHidden("db-max-size")
}

func (f *storeFlags) check() error {
	if f.backupEvery < 0 || f.backupInterval < 0 || f.maxSize < 0 {
		return usagef("--backup-every and --backup-interval must be >= 0 (0 turns that trigger off)")
	}
	return nil
}

// options opens the study file for automl search, its backups logged to
// log.
func (f *storeFlags) options(log *slog.Logger) *bolt.Options {
	return &bolt.Options{
		Command: "automl search", MaxSize: f.maxSize, BackupEvery: f.backupEvery, BackupInterval: f.backupInterval,
		OnBackup: func(path string, err error) {
			if err != nil {
				log.Error("backup of the study file not made", "err", err)
				return
			}
			log.Debug("backup of the study file made", "path", path)
		},
	}
}

// announce says once where the backup is, or that there is none.
func (f *storeFlags) announce(db string, log *slog.Logger) {
	if f.backupEvery == 0 && f.backupInterval == 0 {
		log.Info("no backup of the study file (--backup-every 0 --backup-interval 0)")
		return
	}
	var when []string
	if f.backupEvery > 0 {
		when = append(when, fmt.Sprintf("%d commits", f.backupEvery))
	}
	if f.backupInterval > 0 {
		when = append(when, f.backupInterval.String())
	}
	log.Info("backup of the study file: "+bolt.BackupPath(db), "every", strings.Join(when, " or "), "and", "at the end")
}
