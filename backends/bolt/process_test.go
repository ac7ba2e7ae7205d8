package bolt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"automl/scheduler"
	"automl/trial"
)

// TestSecondWriterInUse: a second writer, in another process, gets an
// error naming the first within the timeout, never a hang.
func TestSecondWriterInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "automl.db")
	w := startWriter(t, path)

	start := time.Now()
	s, err := Open(path, nil)
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("err = %v, want ErrInUse", err)
	}
	if elapsed >= 1500*time.Millisecond {
		t.Errorf("the error took %v, want < 1.5 s", elapsed)
	}
	msg := err.Error()
	for _, want := range []string{path + " is in use by process " + strconv.Itoa(w.cmd.Process.Pid) + " (", "bolt.test", "started "} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	var iu *InUseError
	if !errors.As(err, &iu) || iu.Owner == nil || iu.Owner.PID != w.cmd.Process.Pid {
		t.Errorf("InUseError owner = %+v, want pid %d", iu, w.cmd.Process.Pid)
	}
}

// TestSecondWriterSameProcess: a second Open in the same process uses its
// own file descriptor, so the flock refuses it too.
func TestSecondWriterSameProcess(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	_, err := Open(s.Path(), &Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("err = %v, want ErrInUse naming this process", err)
	}
}

// TestReaderWhileWriterRuns: a reader in this process reads a study that a
// writer in another process is running, sees its new commits, cannot
// commit, and keeps working when the writer exits.
func TestReaderWhileWriterRuns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "automl.db")
	w := startWriter(t, path)
	w.commit(0)

	r, err := OpenReader(path)
	if err != nil {
		t.Fatalf("OpenReader while a writer runs: %v", err)
	}
	defer r.Close()
	checkTrials := func(n int) {
		t.Helper()
		st, err := r.Load(ctx, "s")
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if st.Study == nil || len(st.Trials) != n || st.Snapshot.NextID != n {
			t.Fatalf("Load: %d trials, next id %d, want %d", len(st.Trials), st.Snapshot.NextID, n)
		}
		for i, rec := range st.Trials {
			if rec.ID != i || rec.State != trial.Completed {
				t.Fatalf("trial %d = %+v", i, rec)
			}
		}
	}
	checkTrials(1)
	owner := readOwner(path)
	if owner == nil || owner.PID != w.cmd.Process.Pid || owner.Socket == "" {
		t.Fatalf("owner file of the running writer = %+v", owner)
	}
	w.commit(1)
	w.commit(2)
	checkTrials(3)
	infos, err := r.Studies(ctx)
	if err != nil || len(infos) != 1 || infos[0].Counts[trial.Completed] != 3 || infos[0].BestID != 0 {
		t.Fatalf("Studies = %+v, %v", infos, err)
	}
	if reps, err := r.Reports(ctx, "s", 2); err != nil || len(reps) != 1 {
		t.Fatalf("Reports = %+v, %v", reps, err)
	}
	if _, err := r.Reports(ctx, "missing", 0); !errors.Is(err, scheduler.ErrStudyNotFound) {
		t.Errorf("Reports of a missing study through the writer: err = %v, want ErrStudyNotFound", err)
	}
	err = r.Commit(ctx, "s", scheduler.Change{Trials: []trial.Record{{ID: 9, State: trial.Pending}}})
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "read-only while a scheduler runs") {
		t.Errorf("reader Commit: err = %v, want ErrReadOnly", err)
	}

	w.stop()
	for _, p := range []string{ownerPath(path), owner.Socket} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s after the writer closed: %v, want it removed", p, err)
		}
	}
	checkTrials(3) // now from the file itself
}

// TestWriterKilled: a SIGKILLed writer leaves its owner file and socket;
// readers and the next writer carry on, and the next writer replaces both.
func TestWriterKilled(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "automl.db")
	w := startWriter(t, path)
	w.commit(0)
	old := readOwner(path)
	if old == nil || old.Socket == "" {
		t.Fatalf("owner of a running writer = %+v", old)
	}
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w.cmd.Wait()
	for _, p := range []string{ownerPath(path), old.Socket} {
		if _, err := os.Lstat(p); err != nil {
			t.Fatalf("the killed writer left no %s (%v): the test would prove nothing", p, err)
		}
	}

	r, err := OpenReader(path)
	if err != nil {
		t.Fatalf("OpenReader after a killed writer: %v", err)
	}
	defer r.Close()
	if st, err := r.Load(ctx, "s"); err != nil || len(st.Trials) != 1 {
		t.Fatalf("Load after a killed writer: %d trials, %v", len(st.Trials), err)
	}

	s, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open after a killed writer: %v", err)
	}
	defer s.Close()
	if o := readOwner(path); o == nil || o.PID != os.Getpid() {
		t.Errorf("owner after reopening = %+v, want this process", o)
	}
	if err := s.Commit(ctx, "s", scheduler.Change{Trials: []trial.Record{{ID: 1, State: trial.Pending}}}); err != nil {
		t.Fatal(err)
	}
	if st, err := r.Load(ctx, "s"); err != nil || len(st.Trials) != 2 {
		t.Fatalf("Load through the new writer: %d trials, %v", len(st.Trials), err)
	}
}
