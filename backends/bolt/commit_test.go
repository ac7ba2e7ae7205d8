package bolt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	berrors "go.etcd.io/bbolt/errors"

	"automl/backends/storetest"
	"automl/scheduler"
	"automl/trial"
)

// TestCommitFullDiskIsAtomic: a commit that fails inside bbolt's own
// commit (the file may not grow past MaxSize: a full disk) after all its
// puts succeeded leaves the earlier state, and the store keeps working.
func TestCommitFullDiskIsAtomic(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "automl.db"), &Options{MaxSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commitTrials(t, s, 0, 2)
	before, err := s.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	big := storetest.Snapshot(3)
	big.Searcher = bytes.Repeat([]byte("x"), 2<<20) // larger than the whole file may be
	err = s.Commit(ctx, "s", scheduler.Change{
		Snapshot: big,
		Trials:   []trial.Record{storetest.Record(0, trial.Failed, 0), storetest.Record(2, trial.Pending, 0)},
		Reports:  []scheduler.Report{storetest.Report(0, 1, 1)},
	})
	if !errors.Is(err, berrors.ErrMaxSizeReached) {
		t.Fatalf("Commit past MaxSize: err = %v, want ErrMaxSizeReached", err)
	}
	after, err := s.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("state after a failed commit:\n got  %+v\n want %+v", after, before)
	}
	if reps, err := s.Reports(ctx, "s", 0); err != nil || len(reps) != 0 {
		t.Errorf("Reports after a failed commit = %+v, %v", reps, err)
	}
	commitTrials(t, s, 2, 3)
	wantTrials(t, s, 3)
}

func TestReportKeyOrder(t *testing.T) {
	steps := []float64{math.Inf(-1), -1e300, -2, -1, -0.5, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 0.5, 1, 2, 1e300, math.Inf(1)}
	var keys [][]byte
	for _, id := range []int{0, 1, 255, 256} {
		for _, s := range steps {
			keys = append(keys, reportKey(id, s))
		}
	}
	if !sort.SliceIsSorted(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 }) {
		t.Error("report keys do not sort by (id, step)")
	}
	if !bytes.Equal(reportKey(3, math.Copysign(0, -1)), reportKey(3, 0)) {
		t.Error("-0 and +0 give different report keys")
	}
}
