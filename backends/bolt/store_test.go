package bolt

import (
	"context"
	"path/filepath"
	"testing"

	"automl/backends/storetest"
	"automl/scheduler"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "automl.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scheduler.Store { return openTemp(t) })
}

// writerReader commits through a Store and reads through a Reader of the
// same file, which asks the Store over its socket.
type writerReader struct {
	*Reader
	w *Store
}

func (s writerReader) Commit(ctx context.Context, study string, c scheduler.Change) error {
	return s.w.Commit(ctx, study, c)
}

func (s writerReader) Close() error {
	err := s.Reader.Close()
	if werr := s.w.Close(); err == nil {
		err = werr
	}
	return err
}

// TestConformanceThroughSocket runs the suite with every read going through
// the writer's socket.
func TestConformanceThroughSocket(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scheduler.Store {
		w := openTemp(t)
		r, err := OpenReader(w.Path())
		if err != nil {
			t.Fatalf("OpenReader: %v", err)
		}
		return writerReader{Reader: r, w: w}
	})
}
