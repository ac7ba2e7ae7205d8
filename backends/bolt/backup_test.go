package bolt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"automl/backends/storetest"
	"automl/scheduler"
	"automl/trial"
)

type backupEvent struct {
	path string
	err  error
}

// openWithBackups opens a new store whose backups are reported on the
// returned channel.
func openWithBackups(t *testing.T, every int) (*Store, chan backupEvent) {
	t.Helper()
	events := make(chan backupEvent, 100)
	s, err := Open(filepath.Join(t.TempDir(), "automl.db"), &Options{
		BackupEvery: every,
		OnBackup:    func(p string, err error) { events <- backupEvent{p, err} },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, events
}

func nextBackup(t *testing.T, events chan backupEvent) backupEvent {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("no backup was reported")
	}
	return backupEvent{}
}

// TestBackupEveryNCommits: after N commits a backup appears at
// BackupPath, a valid study file holding what was committed; Close makes
// a last one, from which the study loads as the store had it.
func TestBackupEveryNCommits(t *testing.T) {
	ctx := context.Background()
	s, events := openWithBackups(t, 3)
	if e := nextBackup(t, events); e.err != nil { // the one on Open
		t.Fatal(e.err)
	}
	commitTrials(t, s, 0, 1)
	commitTrials(t, s, 1, 2)
	select {
	case e := <-events:
		t.Fatalf("a backup after 2 commits of 3: %+v", e)
	default:
	}
	commitTrials(t, s, 2, 3) // the third
	e := nextBackup(t, events)
	if e.err != nil || e.path != BackupPath(s.abs) {
		t.Fatalf("backup: %+v", e)
	}
	res, err := Check(ctx, e.path)
	if err != nil || !res.Clean() || res.Trials < 3 {
		t.Fatalf("Check of the backup: %+v, %v", res, err)
	}
	commitTrials(t, s, 3, 4)
	want, err := s.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if e := nextBackup(t, events); e.err != nil {
		t.Fatalf("last backup on Close: %v", e.err)
	}
	b, err := Open(e.path, &Options{NoServe: true})
	if err != nil {
		t.Fatalf("open the backup as a store: %v", err)
	}
	defer b.Close()
	got, err := b.Load(ctx, "s")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the backup's study:\n got  %+v, %v\n want %+v", got, err, want)
	}
	if m, _ := filepath.Glob(e.path + ".new-*"); len(m) > 0 {
		t.Errorf("temporary copies left: %v", m)
	}
}

// TestBackupKeptWhenFileDamaged: a backup of a file damaged since it was
// opened fails its check and leaves the last good backup as it was; the
// writer then refuses readers, naming the damage.
func TestBackupKeptWhenFileDamaged(t *testing.T) {
	ctx := context.Background()
	s, events := openWithBackups(t, 1)
	c := scheduler.Change{Study: storetest.StudyConfig("s", "minimize"), Snapshot: storetest.Snapshot(0)}
	for id := range 10 {
		c.Trials = append(c.Trials, storetest.Record(id, trial.Completed, float64(id)))
	}
	if e := nextBackup(t, events); e.err != nil { // the one on Open
		t.Fatal(e.err)
	}
	if err := s.Commit(ctx, "s", c); err != nil {
		t.Fatal(err)
	}
	if e := nextBackup(t, events); e.err != nil {
		t.Fatal(e.err)
	}
	good, err := os.ReadFile(BackupPath(s.abs))
	if err != nil {
		t.Fatal(err)
	}
	// Flip a bit inside trial 7's record (the newest copy in the file).
	file, _ := os.ReadFile(s.abs)
	var v []byte
	s.db.View(func(tx *bbolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketStudies).Bucket([]byte("s")).Bucket(bucketTrials).Get(trialKey(7)))
		return nil
	})
	at := bytes.LastIndex(file, v)
	if at < 0 {
		t.Fatal("trial 7 not found in the file")
	}
	f, err := os.OpenFile(s.abs, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{file[at+40] ^ 4}, int64(at+40)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	commitTrials(t, s, 10, 11)
	e := nextBackup(t, events)
	if !errors.Is(e.err, ErrCorrupt) || !strings.Contains(e.err.Error(), `study "s" trial 7`) || !strings.Contains(e.err.Error(), "was kept") {
		t.Fatalf("backup of a damaged file: %v", e.err)
	}
	if now, _ := os.ReadFile(BackupPath(s.abs)); !bytes.Equal(now, good) {
		t.Error("the good backup was replaced")
	}
	_, err = OpenReader(s.abs)
	var de *DamagedError
	if !errors.As(err, &de) || !de.Held || !strings.Contains(err.Error(), `trial 7`) || !strings.Contains(err.Error(), "stop the automl search") {
		t.Errorf("OpenReader of a held file found damaged: %v", err)
	}
}

// TestDiskFull: a commit past the size limit (a full disk, as bbolt's
// MaxSize makes it) fails with an error naming the file, its size, the
// free space and what to do; nothing of it is stored, and reopened with a
// higher limit the store takes the same commit with everything before it
// kept.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "automl.db")
	s, err := Open(path, &Options{MaxSize: 256 << 10, NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	commitTrials(t, s, 0, 1)
	var full error
	id := 1
	for ; id < 10000 && full == nil; id++ {
		full = s.Commit(ctx, "s", scheduler.Change{Trials: []trial.Record{storetest.Record(id, trial.Completed, 1)}, Snapshot: storetest.Snapshot(id + 1)})
	}
	id-- // the commit that failed
	if !errors.Is(full, berrors.ErrMaxSizeReached) {
		t.Fatalf("commits up to trial %d: err = %v, want ErrMaxSizeReached", id, full)
	}
	for _, w := range []string{path, "no space left", "its size limit 256.0 KiB", "free on " + filepath.Dir(path), "nothing of this step was written", "run the same command again"} {
		if !strings.Contains(full.Error(), w) {
			t.Errorf("error lacks %q: %v", w, full)
		}
	}
	t.Logf("error: %v", full)
	before, err := s.Load(ctx, "s")
	if err != nil || len(before.Trials) != id || before.Snapshot.NextID != id {
		t.Fatalf("after the failed commit: %d trials, next id %d, %v; want %d", len(before.Trials), before.Snapshot.NextID, err, id)
	}
	s.Close()
	s, err = Open(path, &Options{MaxSize: 1 << 20, NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Commit(ctx, "s", scheduler.Change{Trials: []trial.Record{storetest.Record(id, trial.Completed, 1)}, Snapshot: storetest.Snapshot(id + 1)}); err != nil {
		t.Fatalf("the same commit with space: %v", err)
	}
	wantTrials(t, s, id+1)
}
