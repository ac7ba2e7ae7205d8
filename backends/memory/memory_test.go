package memory

import (
	"context"
	"errors"
	"math"
	"sort"
	"testing"

	"automl/backends/storetest"
	"automl/scheduler"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) scheduler.Store { return New() })
}

func TestClosedError(t *testing.T) {
	s := New()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Studies(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Studies after Close: err = %v, want ErrClosed", err)
	}
}

func TestStepKeyOrder(t *testing.T) {
	steps := []float64{math.Inf(-1), -1e300, -2, -1, -0.5, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 0.5, 1, 2, 1e300, math.Inf(1)}
	keys := make([]uint64, len(steps))
	for i, s := range steps {
		keys[i] = stepKey(s)
	}
	if !sort.SliceIsSorted(keys, func(i, j int) bool { return keys[i] < keys[j] }) {
		t.Errorf("stepKey does not keep the order of %v: %x", steps, keys)
	}
	if stepKey(math.Copysign(0, -1)) != stepKey(0) {
		t.Error("-0 and +0 map to different keys")
	}
}
