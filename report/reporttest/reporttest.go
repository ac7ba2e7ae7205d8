// Package reporttest makes realistic stored studies for the tests and
// benchmarks of the report and the dashboard: a multi-fidelity search
// (successive halving over rungs at 3, 9 and 27 epochs) on a fleet of two
// machines with four GPUs each, with pruned and failed trials, a
// conditional parameter, intermediate reports and, optionally, trials
// still running or queued. The result is a scheduler.Change that any
// Store commits, so the data goes through the real storage path.
package reporttest

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"automl/scheduler"
	_ "automl/search/random" // the space names it
	"automl/search/value"
	"automl/spacefile"
	"automl/trial"
)

// Space is the fixture's space file.
const Space = `study: fixture
objective: {metric: val_loss, direction: minimize}
budget: {trials: 100}
algorithm: {name: random, seed: 7}
resource: epochs
trainer: {plugin: ./train}
parameters:
  learning_rate: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  optimizer:     {type: categorical, choices: [sgd, momentum, adam]}
  momentum:      {type: float, low: 0.5, high: 0.99, when: {optimizer: momentum}}
  num_layers:    {type: int, low: 1, high: 4}
  dropout:       {type: float, low: 0.0, high: 0.5}
`

// Options shape a fixture.
type Options struct {
	Trials int
	Seed   uint64
	// Reports: store every epoch's intermediate values.
	Reports bool
	// Live leaves the last trials running (two) and queued (two), and the
	// study running.
	Live bool
	// Start is when the first trial starts (default: a fixed date).
	Start time.Time
}

// Rungs are the epochs at which the fixture's trials are compared.
var Rungs = []float64{3, 9, 27}

// Lanes are the fixture's GPUs: "gpu-a" and "gpu-b" with four GPUs each.
const Lanes = 8

// Study makes the fixture. The same options give the same study.
func Study(o Options) scheduler.Change {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	}
	f, err := spacefile.Parse("fixture.yaml", []byte(Space))
	if err != nil {
		panic(fmt.Sprintf("reporttest: the fixture's space does not parse: %v", err))
	}
	space := f.Space
	rng := rand.New(rand.NewPCG(o.Seed, 99))
	sim := &simulation{rng: rng, now: o.Start}
	recs := make([]trial.Record, o.Trials)
	finals := make([]float64, o.Trials)
	for id := range recs {
		u := make([]float64, space.Dim())
		for j := range u {
			u[j] = rng.Float64()
		}
		vs := space.Values(space.Decode(u))
		recs[id] = trial.Record{ID: id, State: trial.Pending, Params: vs, Attempt: 0, Created: o.Start.Add(time.Duration(id) * 10 * time.Millisecond)}
		finals[id] = loss(vs, rng)
	}
	var reports []scheduler.Report
	live := 0
	if o.Live {
		live = min(4, o.Trials)
	}
	// Brackets of nine: all run to 3 epochs, the best three go on to 9,
	// the best of those to 27; the others are pruned at their rung.
	done := o.Trials - live
	for lo := 0; lo < done; lo += 9 {
		hi := min(done, lo+9)
		alive := make([]int, 0, 9)
		for id := lo; id < hi; id++ {
			alive = append(alive, id)
		}
		from := 0.0
		for k, rung := range Rungs {
			ends := time.Time{}
			for _, id := range alive {
				reports = append(reports, sim.job(&recs[id], finals[id], from, rung, o.Reports)...)
				ends = later(ends, recs[id].Finished)
			}
			alive = slices.DeleteFunc(alive, func(id int) bool { return recs[id].State == trial.Failed })
			slices.SortStableFunc(alive, func(a, b int) int { return cmp.Compare(recs[a].Value, recs[b].Value) })
			if k == len(Rungs)-1 || len(alive) == 0 {
				for _, id := range alive {
					recs[id].State, recs[id].Note = trial.Completed, ""
				}
				break
			}
			keep := max(1, len(alive)/3)
			for _, id := range alive[keep:] {
				recs[id].State = trial.Pruned
				recs[id].Note = fmt.Sprintf("not promoted at epochs %g: below the top third of its rung", rung)
			}
			alive = alive[:keep]
			for _, id := range alive {
				recs[id].Note = fmt.Sprintf("promoted to epochs %g", Rungs[k+1])
			}
			sim.waitUntil(ends)
			from = rung
		}
	}
	for i := done; i < o.Trials; i++ { // live: two running, two queued
		if i-done < 2 {
			r := &recs[i]
			r.Attempt, r.Delivery, r.State = 1, 1, trial.Running
			r.From, r.To = 0, Rungs[0]
			lane := sim.freeLane()
			r.Worker, r.GPUs = laneName(lane)
			r.Started = sim.free[lane]
			sim.free[lane] = r.Started.Add(time.Hour)
			if o.Reports {
				reports = append(reports, scheduler.Report{ID: i, Attempt: 1, Step: 1, Metrics: trial.Metrics{"val_loss": curve(finals[i], 1)}, Time: r.Started.Add(time.Second)})
				r.Resource, r.Reports = 1, 1
			}
		}
	}
	status := scheduler.StudyDone
	if o.Live {
		status = scheduler.StudyRunning
	}
	end := o.Start
	for i := range recs {
		end = later(end, recs[i].Finished)
	}
	st := &scheduler.Study{Name: "fixture", SpaceFile: "fixture.yaml", SpaceText: []byte(Space), Objective: trial.Objective{Metric: "val_loss", Direction: trial.Minimize},
		Algorithm: "random", Seed: 7, Trials: o.Trials, Slots: Lanes, Status: status, Created: o.Start, Updated: end, Elapsed: end.Sub(o.Start)}
	if status == scheduler.StudyDone {
		st.Reason = "trial budget used"
	}
	return scheduler.Change{Study: st, Snapshot: &scheduler.Snapshot{Version: scheduler.SnapshotVersion, NextID: o.Trials}, Trials: recs, Reports: reports}
}

// Curves groups a fixture's reports by trial, as report.Input wants them.
func Curves(reps []scheduler.Report) map[int][]scheduler.Report {
	out := map[int][]scheduler.Report{}
	for _, r := range reps {
		out[r.ID] = append(out[r.ID], r)
	}
	return out
}

// loss is the final validation loss of a configuration: the learning rate
// matters most (best near 3e-3), then the optimizer and the depth; dropout
// little; momentum only when it is active.
func loss(vs value.Values, rng *rand.Rand) float64 {
	lr := math.Log10(vs.Float("learning_rate", 1e-3))
	v := 0.18 + 0.09*(lr+2.5)*(lr+2.5)
	v += map[string]float64{"sgd": 0.12, "momentum": 0.05, "adam": 0}[vs.String("optimizer", "adam")]
	if m, ok := vs.Get("momentum"); ok {
		x, _ := m.Float()
		v += 0.08 * (x - 0.9) * (x - 0.9) * 10
	}
	v += 0.03 * math.Abs(float64(vs.Int("num_layers", 2))-3)
	v += 0.02 * vs.Float("dropout", 0)
	return v + 0.01*rng.NormFloat64()
}

// curve is the loss after t epochs of a run that ends at final.
func curve(final, t float64) float64 { return final + 0.9*math.Exp(-t/6) }

type simulation struct {
	rng  *rand.Rand
	now  time.Time
	free [Lanes]time.Time // when each GPU is next free
}

func (s *simulation) freeLane() int {
	best := 0
	for l := range s.free {
		if s.free[l].IsZero() {
			s.free[l] = s.now
		}
		if s.free[l].Before(s.free[best]) {
			best = l
		}
	}
	return best
}

// waitUntil holds every GPU until t (a rung is decided when all its jobs end).
func (s *simulation) waitUntil(t time.Time) {
	for l := range s.free {
		s.free[l] = later(s.free[l], t)
	}
	s.now = later(s.now, t)
}

func laneName(l int) (string, []string) {
	return []string{"gpu-a", "gpu-b"}[l/4], []string{fmt.Sprint(l % 4)}
}

// job runs one span of a trial on the first free GPU and returns its reports.
func (s *simulation) job(r *trial.Record, final, from, to float64, withReports bool) []scheduler.Report {
	lane := s.freeLane()
	start := s.free[lane].Add(time.Duration(200+s.rng.IntN(800)) * time.Millisecond)
	layers := float64(r.Params.Int("num_layers", 2))
	perEpoch := time.Duration((0.6 + 0.25*layers + 0.2*s.rng.Float64()) * float64(time.Second))
	r.Attempt++
	r.Delivery = 1
	r.From, r.To = from, to
	r.Worker, r.GPUs = laneName(lane)
	r.Started = start
	r.State = trial.Running
	var reps []scheduler.Report
	fail := s.rng.Float64() < 0.03
	t := start
	for e := from + 1; e <= to; e++ {
		t = t.Add(perEpoch)
		if fail && e > from+1 {
			r.State = trial.Failed
			r.Error = fmt.Sprintf("CUDA out of memory: tried to allocate %d.00 MiB (GPU %s; 79.2 GiB total capacity)\ntraceback ...", 256<<(int(layers)%3), r.GPUs[0])
			r.Failures++
			r.Value, r.HasValue, r.Metrics = 0, false, nil
			break
		}
		v := curve(final, e)
		r.Resource, r.Value, r.HasValue = e, v, true
		r.Metrics = trial.Metrics{"val_loss": v, "train_loss": v * 0.8}
		if withReports {
			reps = append(reps, scheduler.Report{ID: r.ID, Attempt: r.Attempt, Step: e, Metrics: trial.Metrics{"val_loss": v}, Time: t})
			r.Reports++
		}
	}
	r.Finished = t
	r.Busy += t.Sub(start)
	s.free[lane] = t
	if r.State == trial.Running {
		r.State = trial.Paused
	}
	return reps
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
