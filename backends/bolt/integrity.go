package bolt

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// DamagedError refuses a study file that is damaged, or that is not a
// study file at all (empty, another program's): it says which file, what
// is wrong, that nothing was used, and how to recover. It wraps ErrCorrupt
// or ErrNotStore.
type DamagedError struct {
	// Path is the study file as given.
	Path string
	// Backup is the rolling backup beside it (BackupPath), "" when there is none.
	Backup string
	// Saved is the backup's modification time.
	Saved time.Time
	// Held: a running writer read the file for us (it must stop before a restore).
	Held bool
	Err  error
}

func (e *DamagedError) Error() string {
	var b strings.Builder
	what := describe(e.Err)
	if errors.Is(e.Err, ErrNotStore) {
		fmt.Fprintf(&b, "%s is not an automl study file: %s; it was left as it is.\n", e.Path, what)
		fmt.Fprintf(&b, "  If it should hold studies, it is damaged: `automl check --db %s` says what it finds; ", e.Path)
	} else {
		fmt.Fprintf(&b, "study file %s is damaged: %s; nothing was used from it.\n", e.Path, what)
		fmt.Fprintf(&b, "  To recover: `automl check --db %s` lists every damaged record; ", e.Path)
	}
	stop := ""
	if e.Held {
		stop = "stop the automl search that holds it, then "
	}
	if e.Backup != "" {
		fmt.Fprintf(&b, "%srestore the last good copy, the backup %s (saved %s): cp %s %s",
			stop, e.Backup, e.Saved.Local().Format("2006-01-02 15:04:05"), e.Backup, e.Path)
	} else {
		fmt.Fprintf(&b, "%srestore it from your last good copy (there is no backup at %s; automl search keeps one there)", stop, BackupPath(e.Path))
	}
	if errors.Is(e.Err, ErrNotStore) {
		b.WriteString("; or give another --db")
	}
	return b.String()
}

func (e *DamagedError) Unwrap() error { return e.Err }

// describe is err's message without the sentinels' words, which the
// sentence around it says.
func describe(err error) string {
	return strings.Replace(strings.Replace(err.Error(), ErrCorrupt.Error()+": ", "", 1), ErrNotStore.Error()+": ", "", 1)
}

// BackupPath is where automl search keeps the rolling backup of the study
// file at path.
func BackupPath(path string) string { return path + ".backup" }

// refuse turns an error that comes from a damaged or foreign file into a
// *DamagedError for path; other errors pass unchanged.
func refuse(path string, err error) error {
	var de *DamagedError
	if err == nil || errors.As(err, &de) || !(errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotStore)) {
		return err
	}
	de = &DamagedError{Path: path, Err: err}
	var re *remoteError
	de.Held = errors.As(err, &re)
	if fi, serr := os.Stat(BackupPath(path)); serr == nil && fi.Mode().IsRegular() {
		de.Backup, de.Saved = BackupPath(path), fi.ModTime()
	}
	return de
}
