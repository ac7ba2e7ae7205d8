package natsbus_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"automl/backends/natsbus"
	"automl/scheduler"
	"automl/trial"
)

type fakeStopper struct {
	ids    []int
	reason string
}

func (f *fakeStopper) StopTrials(_ context.Context, ids []int, reason string) (scheduler.StopResult, error) {
	f.ids, f.reason = ids, reason
	if slices.Contains(ids, 13) {
		return scheduler.StopResult{}, errors.New("unlucky")
	}
	return scheduler.StopResult{Stopping: ids, Finished: map[int]trial.State{7: trial.Completed}}, nil
}

// automl stop reaches the study's scheduler and brings its answer back;
// with no scheduler running the study it fails with ErrNoScheduler.
func TestStopRequests(t *testing.T) {
	_, nc := server(t)
	ctx := context.Background()
	if _, err := natsbus.RequestStop(ctx, nc, study, []int{1}, ""); !errors.Is(err, natsbus.ErrNoScheduler) {
		t.Fatalf("stop with no scheduler: err %v, want ErrNoScheduler", err)
	}
	f := &fakeStopper{}
	sub, err := natsbus.ServeStops(nc, study, f, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	res, err := natsbus.RequestStop(ctx, nc, study, []int{1, 2}, "why not")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Stopping, []int{1, 2}) || res.Finished[7] != trial.Completed || !slices.Equal(f.ids, []int{1, 2}) || f.reason != "why not" {
		t.Fatalf("answer %+v, stopper saw %v %q", res, f.ids, f.reason)
	}
	if _, err := natsbus.RequestStop(ctx, nc, study, []int{13}, ""); err == nil || err.Error() != "study s1: unlucky" {
		t.Fatalf("stopper error came back as %v", err)
	}
	if _, err := natsbus.RequestStop(ctx, nc, "other", nil, ""); !errors.Is(err, natsbus.ErrNoScheduler) {
		t.Fatalf("another study's stop reached this scheduler: %v", err)
	}
}
