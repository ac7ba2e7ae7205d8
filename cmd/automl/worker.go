package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
	"automl/plugins"
	"automl/trial"
	"automl/worker"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newWorkerCmd(), newStopCmd()) }
}

type workerFlags struct {
	nats          natsFlags
	join          string
	trust         []string
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
	metrics       string
	trainerLogs   bool
	exitIdle      time.Duration
}

func newWorkerCmd() *cobra.Command {
	var f workerFlags
	cmd := &cobra.Command{
		Use:   "worker --join TOKEN",
		Short: "Run trials for studies on a NATS server (one per machine of a fleet)",
		Long: `Joins a study's fleet and runs its trials: --join takes the token automl
search prints ("workers can join: automl worker --join ..."), which names
the server, pins its TLS certificate, carries the key that signs the
study's jobs and, for a server automl search runs, a credential with
which this worker enrolls an identity of its own. Only jobs signed by a
trusted key run; any other is refused and logged as a security event.
With a NATS server the team runs, give --nats and credentials as usual,
plus --join (a token without a credential) or --trust KEY.

Takes trials from a NATS JetStream server and runs each in a trainer
plugin process, on its own slot: one slot per GPU (or per --gpus-per-trial
GPUs) found by nvidia-smi, with CUDA_VISIBLE_DEVICES set to them, or CPU
slots (--slots, default: the number of CPUs) when there is no GPU or with
--gpus none. Trial records show the worker, the GPUs and the attempt.

A worker takes the jobs of one pool (--pool, default "default"); a study
targets a pool with trainer.pool in its space file, so GPU types can be
kept apart (--pool a100).

A server that is not there when it starts (connection refused, an
unknown host) fails it at once (exit status 2); once connected it
reconnects forever and says so in its log. A job it holds is
leased: it is renewed while the trial runs, and a worker that dies or
freezes loses its jobs to other workers after the lease (AckWait).

SIGTERM or Ctrl-C: no new jobs; running trials finish within --grace and
are otherwise handed back to run elsewhere; then it exits 0. A second
signal hands them back at once. It also exits 0, saying why, after
--exit-when-idle without a trial, and when the automl search --listen it
joined (with that search's token) ends.

` + natsEnvHelp,
		Example: `  automl worker --join automl-join1.eyJ1Ijoi...   # the line automl search printed
  automl worker --join "$(cat token)" --gpus 0,1 --pool a100
  automl worker --join "$(cat token)" --exit-when-idle 10m --log-format json
  automl worker --nats nats://nats.internal:4222 --gpus all --pool a100 --user worker --trust jobkey-3q2...
  automl worker --nats nats://127.0.0.1:4222 --gpus none --slots 4
  automl worker --nats tls://nats.internal:4222 --gpus 0,1 --gpus-per-trial 2 --creds worker.creds --tls-ca ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWorker(cmd, &f) },
	}
	addNATSFlags(cmd, &f.nats, "NATS server URL(s), comma-separated (default: the token's, or nats://127.0.0.1:4222)")
	fl := cmd.Flags()
	fl.StringVar(&f.join, "join", "", "the join token automl search printed (or AUTOML_JOIN)")
	fl.StringSliceVar(&f.trust, "trust", nil, "also run jobs signed by these job keys (jobkey-..., comma-separated; or AUTOML_TRUST)")
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
	fl.StringVar(&f.inboxPrefix, "inbox-prefix", "", "prefix of this worker's reply subjects, what a locked-down server lets it subscribe to (default _INBOX_worker_<name>)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	addMetricsFlag(cmd, &f.metrics)
	fl.BoolVar(&f.trainerLogs, "trainer-logs", false, trainerLogsHelp)
	fl.DurationVar(&f.exitIdle, "exit-when-idle", 0, "exit (status 0) once no trial has run here for this long, e.g. 10m (0: never)")
	return cmd
}

// flagsOK checks the flags' ranges, first: a value past its limit is said
// before anything else is looked at.
func (f *workerFlags) flagsOK() error {
	switch {
	case f.grace < 0 || f.ackWait < 0 || f.maxDeliver < 0 || f.exitIdle < 0:
		return usagef("--grace, --ack-wait, --max-deliver and --exit-when-idle must be >= 0")
	case f.slots < 0 || f.slots > worker.MaxSlots:
		return usagef("--slots must be 0 to %d (0: the default), got %d", worker.MaxSlots, f.slots)
	}
	return firstError(
		atMost("--grace", f.grace, maxGrace, "a day"),
		atMost("--ack-wait", f.ackWait, maxAckWait, "a day"),
		atMost("--max-deliver", f.maxDeliver, maxDeliver, ""),
	)
}

func runWorker(cmd *cobra.Command, f *workerFlags) error {
	if err := f.flagsOK(); err != nil {
		return err
	}
	mon, err := startMetrics(f.metrics, 0)
	if err != nil {
		return err
	}
	defer mon.close()
	f.nats.resolve(cmd)
	if v, ok := os.LookupEnv("AUTOML_JOIN"); ok && !cmd.Flags().Changed("join") {
		f.join = v
	}
	if v, ok := os.LookupEnv("AUTOML_TRUST"); ok && !cmd.Flags().Changed("trust") {
		f.trust = []string{v}
	}
	if _, err := f.nats.options(); err != nil {
		return err // credentials that cannot be used as given: said first
	}
	trust, err := splitTrust(f.trust)
	if err != nil {
		return err
	}
	var tok *fleet.Token
	if f.join != "" {
		t, err := fleet.ParseToken(f.join)
		if err != nil {
			return usageError{err}
		}
		if t.Join != "" && (!f.nats.creds.Empty() || cmd.Flags().Changed("inbox-prefix")) {
			return usagef("--join: this token enrolls the worker with an identity of its own; drop --user, --password, --token, --nkey, --creds and --inbox-prefix")
		}
		if f.nats.url != "" {
			t.URL = f.nats.url
		}
		tok = &t
		trust = append(trust, t.JobKey)
	}
	if len(trust) == 0 {
		return usagef("no scheduler to trust: give --join TOKEN (automl search prints it; automl fleet token shows it again), or --trust KEY with --nats")
	}
	if f.nats.url == "" {
		f.nats.url = "nats://127.0.0.1:4222"
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	log := newConsole(os.Stderr).logger(level)
	ctx := cmd.Context()

	plan, err := worker.PlanSlots(ctx, f.gpus, f.gpusPerTrial, f.slots, runtime.NumCPU())
	if err != nil {
		return usageError{err}
	}
	logGPUs(log, plan)
	name := f.name
	if name == "" {
		name, _ = os.Hostname()
	}
	f.nats.creds.InboxPrefix = f.inboxPrefix
	if f.inboxPrefix == "" {
		f.nats.creds.InboxPrefix = natsbus.WorkerInbox(natsbus.SenderToken(name))
	}
	log.Info("trainer containment", "box", plugins.Containment())

	nc, err := f.connect(ctx, tok, name, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	mon.connected(nc)
	// A worker that enrolled with a --listen search's token leaves when
	// that search ends (it says so on the server): nothing else will
	// come from that server. One of a server the team runs stays.
	var w *worker.Worker
	var onEnded func(study, status string)
	if tok != nil && tok.Join != "" {
		onEnded = func(study, status string) {
			log.Info("the search this worker joined has ended: exiting", "study", study, "status", status)
			w.Drain()
		}
	}
	w, err = worker.New(nc, worker.Options{
		Pool: f.pool, Slots: plan.Slots, GPUs: plan.GPUs, Name: name,
		AckWait: f.ackWait, MaxDeliver: f.maxDeliver, CheckpointDir: f.checkpointDir,
		// Open pull requests expire within FetchWait, and a stopping
		// worker waits for them (a job on its way goes back at once):
		// short, so it exits within --grace and a second.
		FetchWait: 500 * time.Millisecond,
		PluginDir: f.pluginDir, Logger: log, Trust: trust,
		TrainerLogs: f.trainerLogs, OnEnded: onEnded,
	})
	if err != nil {
		return usageError{err}
	}
	defer w.Close()
	mon.up()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopSignals := onShutdown(log, f.grace, w.Drain, cancel)
	defer stopSignals()
	if f.exitIdle > 0 {
		go exitWhenIdle(runCtx, log, w, f.exitIdle)
	}
	if err := w.Run(runCtx); err != nil {
		return fmt.Errorf("worker %s: %w", name, err)
	}
	return nil
}

// logGPUs says what nvidia-smi found (debug) and the slots laid out.
func logGPUs(log *slog.Logger, plan worker.Plan) {
	for _, g := range plan.Found {
		log.Debug("gpu", "index", g.Index, "uuid", g.UUID, "name", g.Name, "memory", g.Memory)
	}
	log.Info("worker slots", "slots", plan.Slots, "layout", plan.Note)
}

// connect joins the token's fleet (enrolling when it carries a join
// credential) or connects with the NATS flags.
func (f *workerFlags) connect(ctx context.Context, tok *fleet.Token, name string, log *slog.Logger) (*nats.Conn, error) {
	if tok == nil {
		return f.nats.connect("automl-worker-"+name, log)
	}
	opts, err := f.nats.options()
	if err != nil {
		return nil, err
	}
	if tok.Join != "" {
		opts = nil // the worker's own identity, made by Join
	}
	nc, err := natsbus.Join(ctx, *tok, name, log, opts...)
	if errors.Is(err, natsbus.ErrRefused) || errors.Is(err, natsbus.ErrUnreachable) || errors.Is(err, fleet.ErrToken) {
		return nil, usageError{err}
	}
	return nc, err
}

// exitWhenIdle drains w (Run then returns, and the worker exits 0) once it
// has run no trial for d.
func exitWhenIdle(ctx context.Context, log *slog.Logger, w *worker.Worker, d time.Duration) {
	t := time.NewTicker(min(max(d/10, 10*time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if w.IdleFor() >= d {
			log.Info("no trial for --exit-when-idle: exiting", "idle", d)
			w.Drain()
			return
		}
	}
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
