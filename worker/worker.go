// Package worker is one machine's share of a fleet: it finds the machine's
// GPUs (nvidia-smi), lays out its slots (one per GPU or group of GPUs, or
// CPU slots), gives each slot a plugin host that runs every trial in a
// trainer process started on the slot's GPUs (CUDA_VISIBLE_DEVICES), and
// takes jobs from NATS JetStream (backends/natsbus). New is the one
// constructor: `automl worker` and the in-process slots of `automl search`
// both use it, so a trial runs the same way in either.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
	"automl/internal/probe"
	"automl/plugins"
	"automl/trial"
)

// Options configure a Worker.
type Options struct {
	// Name identifies the worker in trial records (default hostname-pid).
	Name string
	// Pool whose jobs the worker takes (default trial.DefaultPool).
	Pool string
	// Slots is how many trials run at once; GPUs, when set, are each
	// slot's GPUs (see Layout; an empty list hides the machine's GPUs).
	Slots int
	GPUs  [][]string
	// AckWait, MaxDeliver, FetchWait and Store: see natsbus.WorkerOptions.
	AckWait    time.Duration
	MaxDeliver int
	FetchWait  time.Duration
	Store      natsbus.StoreHealth
	// CheckpointDir is where running trials keep their checkpoints
	// (default: the temp directory).
	CheckpointDir string
	// PluginDir, when set, is the only place external plugins run from.
	PluginDir string
	// TrainerOutput receives what trainers write to stderr (default: the
	// Logger, each line with the worker, the slot and its trial).
	TrainerOutput io.Writer
	// Trust are the job keys whose jobs run here (required; a join token
	// carries its scheduler's).
	Trust fleet.Trust
	// LocalKey is the job key of a scheduler in this process (automl
	// search's slots): its jobs pass without a signature check.
	LocalKey *fleet.JobKey
	Logger   *slog.Logger
	// TrainerLogs and OnEnded: see natsbus.WorkerOptions.
	TrainerLogs bool
	OnEnded     func(study, status string)
}

// MaxSlots bounds one worker's slots. Each slot is a trainer process on
// this machine (with its GPUs): 1024 is past the CPUs of any one machine,
// so a larger number is a typo, and would start that many processes.
const MaxSlots = 1024

// Worker runs trials of one pool on its slots until its context ends.
type Worker struct {
	jobs   *natsbus.Worker
	slots  []*plugins.Slot
	gpus   []string   // each slot's GPUs, for the metrics
	logs   []*slotLog // each slot's (nil with Options.TrainerOutput)
	closed bool
}

// New makes a worker on nc (which stays the caller's). Nothing runs until
// Run; Close ends the trainer processes the slots keep.
func New(nc *nats.Conn, o Options) (*Worker, error) {
	if o.Slots < 1 || o.Slots > MaxSlots {
		return nil, fmt.Errorf("worker: slots must be 1 to %d, got %d", MaxSlots, o.Slots)
	}
	w := &Worker{}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for i := range o.Slots {
		h := plugins.HostOptions{Stderr: o.TrainerOutput, PluginDir: o.PluginDir}
		if o.TrainerOutput == nil {
			l := &slotLog{level: slog.LevelDebug}
			if o.TrainerLogs {
				l.level = slog.LevelInfo
			}
			w.logs = append(w.logs, l)
			h.Stderr = l
		}
		if i < len(o.GPUs) {
			h.GPUs = o.GPUs[i]
			// nvidia-smi numbers GPUs in PCI bus order; CUDA, by default,
			// fastest first. This makes CUDA_VISIBLE_DEVICES mean the GPUs
			// the slot was given.
			h.Env = plugins.BaseEnv("CUDA_DEVICE_ORDER=PCI_BUS_ID")
		}
		w.slots = append(w.slots, plugins.NewSlot(h))
	}
	jobs, err := natsbus.NewWorker(nc, w.runnerFor, natsbus.WorkerOptions{
		Pool: o.Pool, Slots: o.Slots, GPUs: o.GPUs, Name: o.Name,
		AckWait: o.AckWait, MaxDeliver: o.MaxDeliver, FetchWait: o.FetchWait, Store: o.Store,
		CheckpointDir: o.CheckpointDir, Trust: o.Trust, LocalKey: o.LocalKey, Logger: o.Logger,
		TrainerLogs: o.TrainerLogs, OnEnded: o.OnEnded,
	})
	if err != nil {
		w.Close()
		return nil, err
	}
	w.jobs = jobs
	for i := range o.Slots {
		w.gpus = append(w.gpus, gpuLabel(o.GPUs, i))
		probe.Get().SlotsChanged(w.Name(), w.gpus[i], 1)
	}
	for i, l := range w.logs {
		l.log = o.Logger.With("worker", jobs.Name(), "slot", i)
	}
	return w, nil
}

// runnerFor gives each job its slot's plugin host: it keeps the slot's
// trainer process between trials (trainer.reuse), replaces it when it
// crashes, and starts it on the slot's GPUs. Every trial runs in a plugin
// process, never in this one.
func (w *Worker) runnerFor(slot int, spec trial.Spec) (trial.Runner, error) {
	if w.logs != nil {
		w.logs[slot].running(spec.Key)
	}
	return metered{w.slots[slot], w.Name(), w.gpus[slot]}, nil
}

// metered tells internal/probe when its slot is busy, and for how long.
type metered struct {
	trial.Runner
	worker, gpu string
}

func (m metered) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	probe.Get().SlotBusy(m.worker, m.gpu)
	t0 := time.Now()
	res, err := m.Runner.Run(ctx, spec, rep)
	outcome := res.Outcome.String()
	if err != nil || res.Outcome == 0 {
		outcome = "error"
	}
	probe.Get().SlotFree(m.worker, m.gpu, outcome, failure(res, err), time.Since(t0))
	return res, err
}

// failure classes why a run failed, for the metrics ("" when it did not).
func failure(res trial.Result, err error) string {
	for _, c := range []struct {
		err   error
		class string
	}{
		{plugins.ErrCrashed, "plugin_crashed"}, {plugins.ErrTimeout, "timeout"},
		{plugins.ErrNotFinite, "not_finite"}, {plugins.ErrProtocol, "protocol"},
		{plugins.ErrHandshake, "handshake"}, {plugins.ErrBinary, "binary"},
		{trial.ErrLost, "lost"},
	} {
		if errors.Is(err, c.err) {
			return c.class
		}
	}
	switch {
	case err != nil:
		return "error"
	case res.Outcome == trial.ExitLost:
		return "lost"
	case res.Outcome == trial.ExitCrashed:
		return "trainer"
	}
	return ""
}

// gpuLabel names a slot's GPUs for the metrics: "0", "0,1", or "none".
func gpuLabel(gpus [][]string, slot int) string {
	if slot < len(gpus) && len(gpus[slot]) > 0 {
		return strings.Join(gpus[slot], ",")
	}
	return "none"
}

// Name is the worker's name in trial records.
func (w *Worker) Name() string { return w.jobs.Name() }

// Run takes and runs jobs until ctx ends (running trials are then handed
// back) or after Drain, once running trials finish.
func (w *Worker) Run(ctx context.Context) error { return w.jobs.Run(ctx) }

// Drain stops taking jobs; running trials finish. Safe from any goroutine.
func (w *Worker) Drain() { w.jobs.Drain() }

// IdleFor is how long the worker has run no trial (0 while one runs).
func (w *Worker) IdleFor() time.Duration { return w.jobs.IdleFor() }

// Close ends every trainer process the slots keep.
func (w *Worker) Close() {
	for _, s := range w.slots {
		s.Close()
	}
	if w.jobs != nil && !w.closed {
		w.closed = true
		for _, g := range w.gpus {
			probe.Get().SlotsChanged(w.Name(), g, -1)
		}
	}
}
