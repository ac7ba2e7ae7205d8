// Package telemetry is the automl command's Prometheus metrics: their
// definitions (one registry per process, every name prefixed automl_, units
// in the names, counters ending _total, labels from bounded sets: study,
// state, pool, worker, gpu, outcome, reason class, never a trial id) and
// the HTTP server of --metrics that serves /metrics, /healthz and /readyz.
// The working packages report through internal/probe, which Metrics
// implements; what the command itself knows (a study's progress) it sets
// with the methods below.
package telemetry

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the process's collectors. Its methods are safe for
// concurrent use; the zero value is not usable (New).
type Metrics struct {
	reg *prometheus.Registry

	trials        *prometheus.GaugeVec
	finished      *prometheus.CounterVec
	running       *prometheus.GaugeVec
	queue         *prometheus.GaugeVec
	best          *prometheus.GaugeVec
	slots         *prometheus.GaugeVec
	busy          *prometheus.GaugeVec
	busySeconds   *prometheus.CounterVec
	runs          *prometheus.HistogramVec
	failures      *prometheus.CounterVec
	suggest       *prometheus.HistogramVec
	commit        prometheus.Histogram
	leaseExpiries *prometheus.CounterVec
	redeliveries  *prometheus.CounterVec
	reconnects    *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	launches      *prometheus.CounterVec
	crashes       *prometheus.CounterVec
	checkpoint    *prometheus.CounterVec

	mu      sync.Mutex
	studies map[string]*studySeries
}

// studySeries are a study's series, looked up once (Study runs after every
// scheduler step), and the counts last set.
type studySeries struct {
	trials   []prometheus.Gauge   // by States
	finished []prometheus.Counter // by finalStates
	running  prometheus.Gauge
	best     prometheus.Gauge
	last     []int // by States; nil before the first call
}

// States are the trial states automl_trials reports (always all of them,
// zeros included, so a query never misses a series).
var States = []string{"pending", "running", "completed", "failed", "pruned", "stopped", "paused"}

// finalStates are those a trial ends in: their growth is automl_trials_finished_total.
var finalStates = []string{"completed", "failed", "pruned", "stopped"}

// New makes the metrics on a registry of their own, with the Go runtime's
// and the process's collectors beside them.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), studies: map[string]*studySeries{}}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		m.reg.MustRegister(g)
		return g
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(h)
		return h
	}
	m.trials = gauge("automl_trials", "Trials of the study by state (pending: queued, not yet taken by a slot).", "study", "state")
	m.finished = counter("automl_trials_finished_total", "Trials that reached a final state (completed, failed, pruned, stopped) while this process ran the study.", "study", "state")
	m.running = gauge("automl_trials_running", "Trials of the study running on a slot now.", "study")
	m.queue = gauge("automl_queue_depth", "Jobs queued for the pool and not yet taken by a slot.", "pool")
	m.best = gauge("automl_study_best_value", "The study's best objective value so far (absent until a trial completes; one objective only).", "study")
	m.slots = gauge("automl_slots", "Worker slots open, by worker and GPU (gpu=\"none\": a CPU slot).", "worker", "gpu")
	m.busy = gauge("automl_slots_busy", "Worker slots running a trial now, by worker and GPU.", "worker", "gpu")
	m.busySeconds = counter("automl_slot_busy_seconds_total", "Seconds the worker's slots spent running trials, by GPU (counted when a run ends).", "worker", "gpu")
	m.runs = histogram("automl_trial_duration_seconds", "Wall time of a run on a slot (a trial, or one rung of it), by outcome.",
		steps(0.01, 86400), "outcome")
	m.failures = counter("automl_trial_failures_total", "Runs that failed, by reason class (trainer, plugin_crashed, timeout, not_finite, protocol, handshake, binary, lost, error).", "reason")
	m.suggest = histogram("automl_suggestion_duration_seconds", "Wall time of a searcher call (start, next, observe): the suggestion latency.",
		steps(1e-5, 60), "call")
	m.commit = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "automl_store_commit_duration_seconds",
		Help: "Wall time of one store commit (a scheduler step's bbolt transaction).", Buckets: steps(1e-5, 30)})
	m.reg.MustRegister(m.commit)
	m.leaseExpiries = counter("automl_lease_expiries_total", "Jobs a worker of the pool held past their lease (they may have run elsewhere too).", "pool")
	m.redeliveries = counter("automl_redeliveries_total", "Jobs a worker of the pool took that had been delivered before.", "pool")
	m.reconnects = counter("automl_nats_reconnects_total", "Reconnections of the process's NATS connections, by connection.", "conn")
	m.dropped = counter("automl_events_dropped_total", "Events and jobs dropped or rejected, by reason (forged, undecodable, foreign, poison).", "reason")
	m.launches = counter("automl_plugin_launches_total", "Trainer plugin processes started, by plugin.", "plugin")
	m.crashes = counter("automl_plugin_crashes_total", "Trainer plugin processes that died during or before a trial, by plugin.", "plugin")
	m.checkpoint = counter("automl_checkpoint_bytes_total", "Bytes of trial checkpoints saved to or loaded from the object store.", "op")
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// steps are histogram buckets from lo to hi (each 1, 2.5 or 5 times a
// power of ten), so that a bucket's bound reads as a round number.
func steps(lo, hi float64) []float64 {
	var b []float64
	for p := lo; p < hi; p *= 10 {
		for _, m := range []float64{1, 2.5, 5} {
			// 0.00025, not 0.00025000000000000006
			if v, _ := strconv.ParseFloat(strconv.FormatFloat(p*m, 'g', 3, 64), 64); v < hi {
				b = append(b, v)
			}
		}
	}
	return append(b, hi)
}

// Registry is where the metrics are registered (for tests and handlers).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Study sets a study's trial counts by state (States; a state missing from
// counts is 0), its running trials, and its best value when it has one.
// The growth of a final state's count since the previous call counts into
// automl_trials_finished_total: the first call only sets the baseline, so
// the counter holds what this process saw finish.
func (m *Metrics) Study(study string, counts map[string]int, best float64, hasBest bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ss := m.studies[study]
	if ss == nil {
		ss = &studySeries{running: m.running.WithLabelValues(study), best: m.best.WithLabelValues(study)}
		for _, st := range States {
			ss.trials = append(ss.trials, m.trials.WithLabelValues(study, st))
		}
		for _, st := range finalStates {
			ss.finished = append(ss.finished, m.finished.WithLabelValues(study, st)) // present from the start, at 0
		}
		m.studies[study] = ss
	}
	now := make([]int, len(States))
	for i, st := range States {
		now[i] = counts[st]
		ss.trials[i].Set(float64(now[i]))
	}
	if ss.last != nil {
		for i, st := range finalStates {
			if d := counts[st] - ss.last[slices.Index(States, st)]; d > 0 {
				ss.finished[i].Add(float64(d))
			}
		}
	}
	ss.last = now
	ss.running.Set(float64(counts["running"]))
	if hasBest {
		ss.best.Set(best)
	}
}

// Queue sets the pool's queue depth.
func (m *Metrics) Queue(pool string, n int) { m.queue.WithLabelValues(pool).Set(float64(n)) }

// The probe.Sink methods.

func (m *Metrics) StoreCommitted(d time.Duration) { m.commit.Observe(d.Seconds()) }
func (m *Metrics) Searched(call string, d time.Duration) {
	m.suggest.WithLabelValues(call).Observe(d.Seconds())
}
func (m *Metrics) Redelivered(pool string)      { m.redeliveries.WithLabelValues(pool).Inc() }
func (m *Metrics) LeaseLapsed(pool string)      { m.leaseExpiries.WithLabelValues(pool).Inc() }
func (m *Metrics) Reconnected(conn string)      { m.reconnects.WithLabelValues(conn).Inc() }
func (m *Metrics) Dropped(reason string)        { m.dropped.WithLabelValues(reason).Inc() }
func (m *Metrics) PluginLaunched(plugin string) { m.launches.WithLabelValues(plugin).Inc() }
func (m *Metrics) PluginCrashed(plugin string)  { m.crashes.WithLabelValues(plugin).Inc() }
func (m *Metrics) Checkpoint(op string, n int64) {
	m.checkpoint.WithLabelValues(op).Add(float64(n))
}
func (m *Metrics) SlotsChanged(worker, gpu string, delta int) {
	m.slots.WithLabelValues(worker, gpu).Add(float64(delta))
	m.busy.WithLabelValues(worker, gpu).Add(0) // the series exists while idle
	m.busySeconds.WithLabelValues(worker, gpu).Add(0)
}
func (m *Metrics) SlotBusy(worker, gpu string) { m.busy.WithLabelValues(worker, gpu).Inc() }
func (m *Metrics) SlotFree(worker, gpu, outcome, reason string, d time.Duration) {
	m.busy.WithLabelValues(worker, gpu).Dec()
	m.busySeconds.WithLabelValues(worker, gpu).Add(d.Seconds())
	m.runs.WithLabelValues(outcome).Observe(d.Seconds())
	if reason != "" {
		m.failures.WithLabelValues(reason).Inc()
	}
}
