package bolt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"automl/backends/storetest"
	"automl/scheduler"
	"automl/trial"
)

// TestReaderAcrossWriterLifetimes: a reader opened with no writer keeps
// working when one starts (through its socket), does not keep it from
// starting, and works again after it stops.
func TestReaderAcrossWriterLifetimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "automl.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	commitTrials(t, s, 0, 1)
	s.Close()

	r, err := OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wantTrials(t, r, 1)

	s, err = Open(path, nil) // a Reader holds no lock between calls
	if err != nil {
		t.Fatalf("Open with a Reader open: %v", err)
	}
	commitTrials(t, s, 1, 2)
	wantTrials(t, r, 2)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wantTrials(t, r, 2)
	if _, err := r.Load(ctx, "s"); err != nil {
		t.Fatal(err)
	}
}

// TestLongPathSocket: when "<db>.sock" would not fit a socket address the
// writer listens under the private temporary directory, and readers find it.
func TestLongPathSocket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "automl.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	socket := s.srv.socket
	if !strings.HasPrefix(socket, privateTempDir()+string(filepath.Separator)) || len(socket) > maxSocketPath {
		t.Fatalf("socket %q, want a short path under %s", socket, privateTempDir())
	}
	commitTrials(t, s, 0, 3)
	r, err := OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wantTrials(t, r, 3)
	// The socket is the writer's way in: make sure the read went through it
	// by hiding the owner file; the reader derives the same path.
	if err := os.Remove(ownerPath(path)); err != nil {
		t.Fatal(err)
	}
	wantTrials(t, r, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(socket); !os.IsNotExist(err) {
		t.Errorf("socket left after Close: %v", err)
	}
}

// TestStaleNonSocket: a regular file where the socket goes is not removed;
// the writer listens at its fallback path instead.
func TestStaleNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "automl.db")
	if err := os.WriteFile(path+".sock", []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b, err := os.ReadFile(path + ".sock"); err != nil || string(b) != "mine" {
		t.Errorf("the user's file was touched: %q, %v", b, err)
	}
	commitTrials(t, s, 0, 1)
	r, err := OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wantTrials(t, r, 1)
}

func TestOpenReaderMissingFile(t *testing.T) {
	_, err := OpenReader(filepath.Join(t.TempDir(), "none.db"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

// commitTrials creates study "s" if needed and commits trials [from, to).
func commitTrials(t *testing.T, s scheduler.Store, from, to int) {
	t.Helper()
	c := scheduler.Change{Snapshot: storetest.Snapshot(to)}
	if from == 0 {
		c.Study = storetest.StudyConfig("s", "minimize")
	}
	for id := from; id < to; id++ {
		c.Trials = append(c.Trials, storetest.Record(id, trial.Completed, float64(id)))
	}
	if err := s.Commit(context.Background(), "s", c); err != nil {
		t.Fatal(err)
	}
}

func wantTrials(t *testing.T, r scheduler.Store, n int) {
	t.Helper()
	st, err := r.Load(context.Background(), "s")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(st.Trials) != n || st.Snapshot.NextID != n {
		t.Fatalf("Load: %d trials (next id %d), want %d", len(st.Trials), st.Snapshot.NextID, n)
	}
}
