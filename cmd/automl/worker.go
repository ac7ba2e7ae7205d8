package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"automl/trial"
	"automl/worker"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newWorkerCmd(), newStopCmd()) }
}

type workerFlags struct {
	nats          natsFlags
	gpus          string
	gpusPerTrial  int
	slots         int
	pool          string
	name          string
	grace         time.Duration
	ackWait       time.Duration
	maxDeliver    int
	pluginDir     string
	checkpointDir string
	inboxPrefix   string
	logLevel      string
}

func newWorkerCmd() *cobra.Command {
	var f workerFlags
	cmd := &cobra.Command{
		Use:   "worker --nats URL",
		Short: "Run trials for studies on a NATS server (one per machine of a fleet)",
		Long: `Takes trials from a NATS JetStream server and runs each in a trainer
plugin process, on its own slot: one slot per GPU (or per --gpus-per-trial
GPUs) found by nvidia-smi, with CUDA_VISIBLE_DEVICES set to them, or CPU
slots (--slots, default: the number of CPUs) when there is no GPU or with
--gpus none. Trial records show the worker, the GPUs and the attempt.

A worker takes the jobs of one pool (--pool, default "default"); a study
targets a pool with trainer.pool in its space file, so GPU types can be
kept apart (--pool a100).

It reconnects to NATS forever and says so in its log. A job it holds is
leased: it is renewed while the trial runs, and a worker that dies or
freezes loses its jobs to other workers after the lease (AckWait).

SIGTERM or Ctrl-C: no new jobs; running trials finish within --grace and
are otherwise handed back to run elsewhere; then it exits 0. A second
signal hands them back at once.

` + natsEnvHelp,
		Example: `  automl worker --nats nats://scheduler-host:4222
  automl worker --nats nats://nats.internal:4222 --gpus all --pool a100 --user worker
  automl worker --nats nats://127.0.0.1:4222 --gpus none --slots 4
  automl worker --nats tls://nats.internal:4222 --gpus 0,1 --gpus-per-trial 2 --creds worker.creds --tls-ca ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWorker(cmd, &f) },
	}
	addNATSFlags(cmd, &f.nats, "NATS server URL(s), comma-separated (default nats://127.0.0.1:4222)")
	fl := cmd.Flags()
	fl.StringVar(&f.gpus, "gpus", "all", "GPUs to use: all, none, or indices such as 0,1 (from nvidia-smi)")
	fl.IntVar(&f.gpusPerTrial, "gpus-per-trial", 1, "GPUs each trial gets")
	fl.IntVar(&f.slots, "slots", 0, "trials at once (default: one per GPU group, or the number of CPUs)")
	fl.StringVar(&f.pool, "pool", trial.DefaultPool, "pool whose jobs to take (a study's trainer.pool)")
	fl.StringVar(&f.name, "name", "", "this worker's name in trial records (default: host name)")
	fl.DurationVar(&f.grace, "grace", 30*time.Second, "on SIGTERM, how long running trials may take to finish before they are handed back")
	fl.DurationVar(&f.ackWait, "ack-wait", 0, "job lease: a silent worker's jobs go elsewhere after it (default: the pool's, 60s when new)")
	fl.IntVar(&f.maxDeliver, "max-deliver", 0, "times a job is handed out before its trial fails (default: the pool's, 10 when new)")
	fl.StringVar(&f.pluginDir, "plugin-dir", "", "run external trainer plugins only from this directory")
	fl.StringVar(&f.checkpointDir, "checkpoint-dir", "", "where running trials keep their checkpoints (default: the temp directory)")
	fl.StringVar(&f.inboxPrefix, "inbox-prefix", "_INBOX_worker", "prefix of this worker's reply subjects (what a locked-down server lets it subscribe to)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func runWorker(cmd *cobra.Command, f *workerFlags) error {
	f.nats.resolve(cmd)
	if f.nats.url == "" {
		f.nats.url = "nats://127.0.0.1:4222"
	}
	f.nats.creds.InboxPrefix = f.inboxPrefix
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	if f.grace < 0 || f.ackWait < 0 || f.maxDeliver < 0 {
		return usagef("--grace, --ack-wait and --max-deliver must be >= 0")
	}
	if err := firstError(
		atMost("--grace", f.grace, maxGrace, "a day"),
		atMost("--ack-wait", f.ackWait, maxAckWait, "a day"),
		atMost("--max-deliver", f.maxDeliver, maxDeliver, ""),
	); err != nil {
		return err
	}
	log := newConsole(os.Stderr).logger(level)
	ctx := cmd.Context()

	found, findErr := worker.DiscoverGPUs(ctx)
	slots, gpus, note, err := worker.Layout(f.gpus, f.gpusPerTrial, f.slots, runtime.NumCPU(), found, findErr)
	if err != nil {
		return usageError{err}
	}
	for _, g := range found {
		log.Debug("gpu", "index", g.Index, "uuid", g.UUID, "name", g.Name, "memory", g.Memory)
	}
	name := f.name
	if name == "" {
		name, _ = os.Hostname()
	}
	log.Info("worker slots", "slots", slots, "layout", note)

	nc, err := f.nats.connect("automl-worker-"+name, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	w, err := worker.New(nc, worker.Options{
		Pool: f.pool, Slots: slots, GPUs: gpus, Name: name,
		AckWait: f.ackWait, MaxDeliver: f.maxDeliver, CheckpointDir: f.checkpointDir,
		PluginDir: f.pluginDir, TrainerOutput: trainerLog{log}, Logger: log,
	})
	if err != nil {
		return usageError{err}
	}
	defer w.Close()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopSignals := onShutdown(log, f.grace, w.Drain, cancel)
	defer stopSignals()
	if err := w.Run(runCtx); err != nil {
		return fmt.Errorf("worker %s: %w", name, err)
	}
	return nil
}

// onShutdown turns SIGTERM and SIGINT into a graceful stop: the first
// drains (no new work) and, after grace, hard-stops; a second hard-stops
// at once.
func onShutdown(log *slog.Logger, grace time.Duration, drain, hard func()) (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			log.Warn("stopping: no new trials; running ones may finish", "signal", sig.String(), "grace", grace)
			drain()
		case <-done:
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			log.Warn("grace period over: handing running trials back")
		case <-sigs:
			log.Warn("second signal: handing running trials back")
		case <-done:
			return
		}
		hard()
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
