package storetest

import (
	"fmt"
	"time"

	"automl/scheduler"
	"automl/search/value"
	"automl/trial"
)

// t0 is the fixtures' clock: UTC and without a monotonic reading, so
// records survive an encode/decode round trip unchanged.
var t0 = time.Date(2026, 11, 28, 21, 50, 0, 0, time.UTC)

// StudyConfig returns a study record named name with the given direction.
func StudyConfig(name, direction string) *scheduler.Study {
	var dir trial.Direction
	if err := dir.UnmarshalText([]byte(direction)); err != nil {
		panic("storetest: " + err.Error())
	}
	return &scheduler.Study{
		Name:      name,
		SpaceFile: "examples/" + name + "/space.yaml",
		SpaceText: []byte("objective: {metric: loss, direction: " + direction + "}\n"),
		Objective: trial.Objective{Metric: "loss", Direction: dir},
		Algorithm: "random",
		Seed:      42,
		Trials:    100,
		Timeout:   time.Hour,
		Elapsed:   90 * time.Second,
		Slots:     4,
		Status:    scheduler.StudyRunning,
		Created:   t0,
		Updated:   t0.Add(time.Minute),
	}
}

// Snapshot returns a searcher snapshot whose next trial id is next.
func Snapshot(next int) *scheduler.Snapshot {
	return &scheduler.Snapshot{
		Version:  scheduler.SnapshotVersion,
		Searcher: []byte(fmt.Sprintf(`{"next":%d}`, next)),
		Rng:      []byte{1, 2, 3, byte(next)},
		NextID:   next,
	}
}

// Record returns a trial record with parameters of every kind; completed
// records carry v as their objective.
func Record(id int, st trial.State, v float64) trial.Record {
	r := trial.Record{
		ID:    id,
		State: st,
		Params: value.Values{
			{Name: "lr", Value: value.Float(0.001 * float64(id+1))},
			{Name: "layers", Value: value.Int(int64(id%4 + 1))},
			{Name: "act", Value: value.String("relu")},
			{Name: "bn", Value: value.Bool(id%2 == 0)},
		},
		Attempt: 1,
		Created: t0.Add(time.Duration(id) * time.Second),
	}
	if st != trial.Pending {
		r.Worker = "w1"
		r.GPUs = []string{"0"}
		r.Started = r.Created.Add(time.Second)
	}
	switch st {
	case trial.Completed:
		r.Value, r.HasValue = v, true
		r.Metrics = trial.Metrics{"loss": v, "acc": 0.5}
		r.Finished = r.Started.Add(3 * time.Second)
		r.Busy = 3 * time.Second
		r.Reports = 2
	case trial.Failed:
		r.Error = "exit status 1"
		r.Failures = 1
		r.Finished = r.Started.Add(time.Second)
	}
	return r
}

// Report returns an intermediate report of trial id at step.
func Report(id int, step, loss float64) scheduler.Report {
	return scheduler.Report{
		ID:      id,
		Attempt: 1,
		Step:    step,
		Metrics: trial.Metrics{"loss": loss},
		Time:    t0.Add(time.Duration(id)*time.Minute + time.Duration(step*1000)*time.Millisecond),
	}
}
