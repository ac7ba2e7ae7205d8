package bolt

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"automl/backends/storetest"
	"automl/scheduler"
	"automl/trial"
)

// bigFixture writes a store with enough trials to span many pages.
func bigFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "automl.db")
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	c := scheduler.Change{Study: storetest.StudyConfig("s", "minimize"), Snapshot: storetest.Snapshot(3000)}
	for id := range 3000 {
		c.Trials = append(c.Trials, storetest.Record(id, trial.Completed, float64(id)))
	}
	if err := s.Commit(context.Background(), "s", c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// useStore opens the file for writing and for reading and reads all of it;
// it returns the first error. A damaged file must give one, never crash.
func useStore(path string) error {
	ctx := context.Background()
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Load(ctx, "s"); err != nil {
		return err
	}
	if _, err := s.Studies(ctx); err != nil {
		return err
	}
	return s.Check().Err()
}

func TestCorruptFiles(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, path string)
		corrupt bool // the error must wrap ErrCorrupt (bbolt panicked or faulted)
	}{
		{"random bytes", func(t *testing.T, path string) {
			b := make([]byte, 64<<10)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"truncated to half", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"garbage pages in the middle", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, _ := f.Stat()
			junk := make([]byte, fi.Size()/2)
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range junk {
				junk[i] = byte(rng.Uint32())
			}
			// Keep the two meta pages (the first 8 KiB); ruin the tree.
			if _, err := f.WriteAt(junk, 16<<10); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := bigFixture(t)
			tc.damage(t, path)
			err := useStore(path)
			if err == nil {
				t.Fatal("a damaged store opened and read without error")
			}
			if tc.corrupt && !errors.Is(err, ErrCorrupt) {
				t.Errorf("err = %v, want ErrCorrupt", err)
			}
			t.Logf("error: %v", err)
			// The reader path must not crash either.
			if r, err := OpenReader(path); err == nil {
				_, lerr := r.Load(context.Background(), "s")
				r.Close()
				if lerr == nil {
					t.Error("OpenReader and Load of a damaged store gave no error")
				}
			}
		})
	}
}

// TestCorruptOpenReleasesLock: after bbolt panics inside Open the file is
// not left locked by this process.
func TestCorruptOpenReleasesLock(t *testing.T) {
	path := bigFixture(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a truncated store: err = %v, want ErrCorrupt", err)
	}
	_, err = Open(path, &Options{Timeout: 100 * time.Millisecond})
	if errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v: the failed Open kept the lock", err)
	}
}
