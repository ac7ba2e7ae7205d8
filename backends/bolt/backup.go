package bolt

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// backups keeps the rolling backup of a Store: after every BackupEvery
// commits or BackupInterval of time (whichever comes first, counted from
// the last backup), a goroutine copies the file and replaces the backup,
// and Open and Close make one. Commits only count and signal it. However
// often they ask, backups take at most 1/backupShare of the time: after
// one that took d, the next one due waits (backupShare-1)*d.
type backups struct {
	s        *Store
	path     string // abs of the backup
	every    int
	interval time.Duration
	report   func(path string, err error)

	mu      sync.Mutex
	commits int       // since the last backup began
	last    time.Time // when the last backup began (Open, at first)
	closed  bool      // kick is closed
	rest    time.Time // no backup before then (the share of time)

	kick chan struct{} // cap 1: a backup is due
	stop chan struct{} // closed by close: end a rest early
	done chan struct{} // closed when the goroutine ends
}

func newBackups(s *Store, o *Options) *backups {
	if o.BackupEvery <= 0 && o.BackupInterval <= 0 {
		return nil
	}
	b := &backups{
		s: s, path: BackupPath(s.abs), every: o.BackupEvery, interval: o.BackupInterval,
		report: o.OnBackup, last: time.Now(),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if b.report == nil {
		b.report = func(string, error) {}
	}
	// The first backup at once: the file was just checked whole, and a
	// process killed before its first N commits leaves a copy too.
	b.kick <- struct{}{}
	go b.loop()
	return b
}

// committed counts a commit and, when a backup is due, wakes the
// goroutine without waiting for it.
func (b *backups) committed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.commits++
	due := b.every > 0 && b.commits >= b.every || b.interval > 0 && time.Since(b.last) >= b.interval
	if due && !b.closed {
		select {
		case b.kick <- struct{}{}:
		default: // one is due already
		}
	}
}

func (b *backups) loop() {
	defer close(b.done)
	for range b.kick {
		b.mu.Lock()
		rest := time.Until(b.rest)
		b.mu.Unlock()
		if rest > 0 {
			t := time.NewTimer(rest)
			select {
			case <-t.C:
			case <-b.stop:
				t.Stop()
				return
			}
		}
		b.run()
	}
}

// run makes one backup and reports it.
func (b *backups) run() {
	start := time.Now()
	b.mu.Lock()
	b.commits, b.last = 0, start
	b.mu.Unlock()
	err := b.s.backup(b.path)
	end := time.Now()
	b.mu.Lock()
	b.rest = end.Add((backupShare - 1) * end.Sub(start))
	b.mu.Unlock()
	b.report(b.path, err)
}

// backupShare bounds the time backups take: at most 1/backupShare.
const backupShare = 20

// close stops the goroutine and makes the last backup when anything was
// committed since the one before.
func (b *backups) close() {
	b.mu.Lock()
	b.closed = true
	close(b.stop)
	close(b.kick)
	b.mu.Unlock()
	<-b.done
	b.mu.Lock()
	pending := b.commits > 0
	b.mu.Unlock()
	if pending && b.s.damage.Load() == nil {
		b.run()
	}
}

// backup copies the store to path consistently: bbolt's Tx.WriteTo (what
// Tx.CopyFile does) in a read transaction, so commits go on meanwhile,
// into a temporary file beside path, synced; then the copy is checked
// whole (pages and checksums) and only a clean copy is renamed over the
// last backup. A damaged file never replaces a good backup: its damage is
// noted (readers are refused) and returned.
func (s *Store) backup(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("backup of %s: %w", s.path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // after the rename: nothing
	err = protect(func() error {
		return s.db.View(func(tx *bbolt.Tx) error {
			_, err := tx.WriteTo(&syncingWriter{f: tmp})
			return err
		})
	})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup of %s to %s: %w", s.path, path, err)
	}
	if err := checkCopy(name); err != nil {
		return s.fail(fmt.Errorf("%w (found by the check of its backup copy; the backup %s was kept as it was)", err, path))
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("backup of %s: %w", s.path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("backup of %s: %w", s.path, err)
	}
	return nil
}

// checkCopy runs the check on open on a copy of the store (nothing else
// has it open).
func checkCopy(path string) error {
	db, err := openDB(path, &bbolt.Options{ReadOnly: true, Timeout: DefaultTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	return protect(func() error { return db.View(checkOpen) })
}

// syncingWriter writes to f and flushes it to the disk after every
// syncChunk bytes: one fsync of a whole large copy at the end would queue
// the scheduler's commit fsyncs behind it for as long as it takes.
type syncingWriter struct {
	f       *os.File
	pending int
}

const syncChunk = 4 << 20

func (w *syncingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.pending += n
	if err == nil && w.pending >= syncChunk {
		w.pending = 0
		err = w.f.Sync()
	}
	return n, err
}
