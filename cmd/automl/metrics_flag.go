package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"automl/internal/probe"
	"automl/internal/telemetry"
	"automl/scheduler"
	"automl/trial"
)

// metricsHelp is the --metrics flag's help, the same on every command.
const metricsHelp = "serve Prometheus metrics on HOST:PORT at /metrics, with /healthz (alive) and /readyz (ready to work: 503 and the reason otherwise)"

func addMetricsFlag(cmd *cobra.Command, addr *string) {
	cmd.Flags().StringVar(addr, "metrics", "", metricsHelp)
}

// metricsFlags are automl search's: --metrics and --metrics-linger.
type metricsFlags struct {
	addr   string
	linger time.Duration
}

func addSearchMetricsFlags(cmd *cobra.Command, f *metricsFlags) {
	addMetricsFlag(cmd, &f.addr)
	cmd.Flags().DurationVar(&f.linger, "metrics-linger", 0, "with --metrics: keep serving it this long after the study ends, so a last scrape sees the final counts (/readyz answers 503 meanwhile)")
}

// monitor is a command's --metrics: the process's metrics, their server,
// and what /readyz checks. A nil monitor (no --metrics) does nothing.
type monitor struct {
	m   *telemetry.Metrics
	srv *telemetry.Server

	mu     sync.Mutex
	checks []func() error
	boot   *gate // "starting" until the command is up
	undo   func()
	linger time.Duration // how long close waits before it stops the server, once a study ran
	ran    bool          // a study ran to its end (under mu)
}

// startMetrics serves the metrics on addr at once (none for ""): a taken
// port is a usage error now, not after the command has started its work.
// /readyz says "starting" until the command calls up.
func startMetrics(addr string, linger time.Duration) (*monitor, error) {
	switch {
	case linger < 0:
		return nil, usagef("--metrics-linger must be >= 0, got %s", linger)
	case addr == "" && linger > 0:
		return nil, usagef("--metrics-linger keeps --metrics serving: give --metrics HOST:PORT too")
	case addr == "":
		return nil, nil
	}
	mon := &monitor{m: telemetry.New(), boot: &gate{why: "starting"}, linger: linger}
	mon.checks = []func() error{mon.boot.check}
	srv, err := telemetry.Serve(addr, mon.m, mon.ready)
	if err != nil {
		return nil, usageError{err}
	}
	mon.srv, mon.undo = srv, probe.Set(mon.m)
	return mon, nil
}

func (mon *monitor) close() {
	if mon == nil {
		return
	}
	mon.mu.Lock()
	ran := mon.ran
	mon.mu.Unlock()
	if ran {
		time.Sleep(mon.linger) // not after a failed start: nothing to see
	}
	_ = mon.srv.Close()
	mon.undo()
}

// ready runs the checks in the order they were added: the first failing
// one says why the process is not ready.
func (mon *monitor) ready() error {
	mon.mu.Lock()
	checks := mon.checks
	mon.mu.Unlock()
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

// up says the command has started: the other checks decide from now on.
func (mon *monitor) up() {
	if mon != nil {
		mon.boot.set("")
	}
}

// need adds a readiness check.
func (mon *monitor) need(check func() error) {
	if mon == nil {
		return
	}
	mon.mu.Lock()
	mon.checks = append(mon.checks, check)
	mon.mu.Unlock()
}

// connected is ready while nc is connected to a NATS server.
func (mon *monitor) connected(nc *nats.Conn) {
	if mon == nil {
		return
	}
	mon.need(func() error {
		if !nc.IsConnected() {
			return fmt.Errorf("not connected to NATS (%s)", nc.Status())
		}
		return nil
	})
}

// stored serves the studies r reads (automl dashboard's study file) as
// automl_stored_trials and automl_stored_best_value, and is ready while r
// can read them.
func (mon *monitor) stored(r scheduler.Reader) {
	if mon == nil {
		return
	}
	read := func() ([]telemetry.Stored, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		infos, err := r.Studies(ctx)
		if err != nil {
			return nil, fmt.Errorf("cannot read the study file: %w", err)
		}
		out := make([]telemetry.Stored, len(infos))
		for i, in := range infos {
			counts := map[string]int{}
			for state, n := range in.Counts {
				counts[state.String()] = n
			}
			out[i] = telemetry.Stored{Study: in.Name, Counts: counts, Best: in.Best, HasBest: in.HasBest}
		}
		return out, nil
	}
	mon.m.ServeStored(read)
	mon.need(func() error {
		_, err := read()
		return err
	})
}

// gate is a readiness check that fails with its reason until opened, and
// again once shut.
type gate struct {
	mu  sync.Mutex
	why string
}

func (g *gate) set(why string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.why = why
	g.mu.Unlock()
}

func (g *gate) check() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.why != "" {
		return errors.New(g.why)
	}
	return nil
}

// gate adds a gate that is closed with why (nil without --metrics).
func (mon *monitor) gate(why string) *gate {
	if mon == nil {
		return nil
	}
	g := &gate{why: why}
	mon.need(g.check)
	return g
}

// study follows a study run by automl search: /readyz fails until the
// scheduler has claimed and loaded it (Ready), when the claim is lost, and
// once Run has returned (end, with Run's summary: the store is closed
// after); the progress feeds automl_trials, automl_trials_running,
// automl_queue_depth and automl_study_best_value. It wraps cfg's Ready and
// Progress, which still run as they did.
func (mon *monitor) study(cfg *scheduler.Config, disp interface{ Err() error }, pool string) (end func(scheduler.Summary)) {
	if mon == nil {
		return func(scheduler.Summary) {}
	}
	name := cfg.File.Study
	loading := mon.gate(fmt.Sprintf("study %s is loading (claiming it, recovering its trials)", name))
	mon.need(func() error {
		if err := disp.Err(); err != nil {
			return err
		}
		return nil
	})
	ready, progress := cfg.Ready, cfg.Progress
	cfg.Ready = func() {
		loading.set("")
		if ready != nil {
			ready()
		}
	}
	cfg.Progress = func(p scheduler.Progress) {
		mon.m.Study(name, map[string]int{
			"pending": p.Queued, "running": p.Running, "completed": p.Completed, "failed": p.Failed,
			"pruned": p.Pruned, "stopped": p.Stopped, "paused": p.Paused,
		}, p.Best, p.HasBest)
		mon.m.Queue(pool, p.Queued)
		if progress != nil {
			progress(p)
		}
	}
	mon.up()
	return func(sum scheduler.Summary) {
		loading.set(fmt.Sprintf("study %s has ended (%s)", name, sum.Status))
		mon.final(name, sum, pool)
		mon.mu.Lock()
		mon.ran = true
		mon.mu.Unlock()
	}
}

// final sets the study's counts from its summary once Run returned (the
// last progress may predate the last commit).
func (mon *monitor) final(study string, sum scheduler.Summary, pool string) {
	c := sum.Counts
	mon.m.Study(study, map[string]int{
		"pending": c[trial.Pending], "running": c[trial.Running], "completed": c[trial.Completed], "failed": c[trial.Failed],
		"pruned": c[trial.Pruned], "stopped": c[trial.Stopped], "paused": c[trial.Paused],
	}, sum.Best.Value, sum.HasBest)
	mon.m.Queue(pool, c[trial.Pending])
}
