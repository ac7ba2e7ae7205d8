package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"automl/backends/natsbus"
	"automl/scheduler"
	"automl/search"
	"automl/trial"
)

type searchFlags struct {
	space      string
	db         string
	trials     int
	workers    int
	seed       int64
	timeout    time.Duration
	retries    int
	maxFailed  int
	top        int
	asJSON     bool
	quiet      bool
	logLevel   string
	seedSet    bool
	cpuProfile string
}

func newSearchCmd() *cobra.Command {
	var f searchFlags
	cmd := &cobra.Command{
		Use:   "search -space FILE",
		Short: "Run a study (or continue it)",
		Long: `Run the study a space file describes and print its leaderboard.

With no other flags it runs on the embedded default: an in-process NATS
JetStream server (its data beside the study file, in <db>.nats/), worker
slots in this process (--workers, default: the number of CPUs) and the
study file automl.db. Every trial and intermediate metric is recorded there.

Running the same command again on an existing study continues it: trials
that were running when it stopped run again, completed ones never do, and
--trials N raises the budget.

Ctrl-C once stops dispatching and lets running trials finish; Ctrl-C twice
stops them too. Either way the study can be continued later.`,
		Example: `  automl search -space examples/quickstart/space.yaml
  automl search -space space.yaml --trials 200 --workers 8 --seed 42
  automl search -space space.yaml --db runs/exp1.db --timeout 2h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.seedSet = cmd.Flags().Changed("seed")
			return runSearch(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.space, "space", "", "the space file (required)")
	addDBFlag(cmd, &f.db)
	fl.IntVar(&f.trials, "trials", 0, "trial budget (overrides the space file's; raises it on a resumed study)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "worker slots in this process (trials run at once)")
	fl.Int64Var(&f.seed, "seed", 0, "random seed (overrides the space file's; default: chosen and recorded)")
	fl.DurationVar(&f.timeout, "timeout", 0, "wall-time budget, e.g. 30m (overrides the space file's)")
	fl.IntVar(&f.retries, "retries", 0, "times a trial whose code failed is run again")
	fl.IntVar(&f.maxFailed, "max-failed", 0, "end the study after this many failed trials (default: 10% of the budget, at least 5)")
	fl.IntVar(&f.top, "top", 10, "leaderboard rows to print at the end (0: none)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for developers)")
	_ = fl.MarkHidden("cpuprofile")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON (for programs)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress or log lines, only the result")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	_ = cmd.MarkFlagRequired("space")
	return cmd
}

func (f *searchFlags) flagsOK() error {
	switch {
	case f.workers < 1:
		return usagef("--workers must be >= 1, got %d", f.workers)
	case f.trials < 0:
		return usagef("--trials must be >= 0, got %d", f.trials)
	case f.timeout < 0:
		return usagef("--timeout must be >= 0, got %s", f.timeout)
	case f.seed < 0:
		return usagef("--seed must be >= 0, got %d", f.seed)
	case f.retries < 0 || f.maxFailed < 0:
		return usagef("--retries and --max-failed must be >= 0")
	}
	return nil
}

func runSearch(cmd *cobra.Command, f *searchFlags) error {
	if err := f.flagsOK(); err != nil {
		return err
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	space, err := search.ParseFile(f.space)
	if err != nil {
		return usageError{err}
	}
	text, err := os.ReadFile(f.space)
	if err != nil {
		return usageError{err}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", f.logLevel)
	}
	con := newConsole(os.Stderr)
	log := con.logger(level)
	if f.quiet {
		log = slog.New(slog.DiscardHandler)
	}

	store, err := openStore(f.db, "automl search")
	if err != nil {
		return err
	}
	defer store.Close()

	// The embedded NATS server keeps its JetStream data beside the study file.
	// The server's own notices (its banner) are noise here; warnings are not.
	serverLog := con.logger(max(level, slog.LevelWarn))
	if f.quiet {
		serverLog = log
	}
	emb, err := natsbus.StartEmbedded(f.db+".nats", natsbus.WithServerLog(serverLog))
	if err != nil {
		return fmt.Errorf("start the embedded NATS server: %w", err)
	}
	defer emb.Close()
	ctx := cmd.Context()
	existing, err := store.Load(ctx, space.Study)
	if err != nil {
		return err
	}
	disp, stopWorkers, err := wireEmbedded(ctx, emb, space, f, existing.Study == nil, log)
	if err != nil {
		return err
	}
	defer disp.close()

	cfg := scheduler.Config{
		Space: space, SpaceFile: f.space, SpaceText: text,
		Store: store, Dispatcher: disp, Slots: f.workers,
		Trials: f.trials, Timeout: f.timeout, Retries: f.retries, MaxFailed: f.maxFailed,
		Log: log,
	}
	if f.seedSet {
		cfg.Seed, cfg.HasSeed = uint64(f.seed), true
	}
	if a, ok := search.Lookup(space.Algorithm.Name); ok && a.Prefetch {
		cfg.Queue = max(f.workers, 32)
	}
	if !f.quiet {
		cfg.Progress = func(p scheduler.Progress) { con.progress(p, false) }
	}
	s, err := scheduler.New(cfg)
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			n++
			if n == 1 {
				log.Warn("stopping: no new trials; running trials finish (Ctrl-C again to stop them too)")
				s.Drain()
				continue
			}
			log.Warn("stopping running trials; the study can be continued with the same command")
			cancel()
			return
		}
	}()

	sum, runErr := s.Run(runCtx)
	stopWorkers()
	if !f.quiet && cfg.Progress != nil {
		// One last progress line with the final counts.
		if st, err := store.Load(context.Background(), space.Study); err == nil && st.Study != nil {
			con.progress(finalProgress(st), true)
		}
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	if err := printResult(cmd.OutOrStdout(), store, space.Study, sum, f); err != nil {
		return err
	}
	switch {
	case errors.Is(runErr, context.Canceled) || sum.Status == scheduler.StudyInterrupted:
		fmt.Fprintf(cmd.ErrOrStderr(), "study %s interrupted; continue it with: automl search -space %s%s\n", space.Study, f.space, dbArg(f.db))
		return errInterrupted
	case sum.Status == scheduler.StudyFailed:
		return fmt.Errorf("study %s failed: %s", space.Study, sum.Reason)
	}
	return nil
}

func dbArg(db string) string {
	if db == defaultDB {
		return ""
	}
	return " --db " + db
}

func finalProgress(st scheduler.StudyState) scheduler.Progress {
	p := scheduler.Progress{Study: st.Study.Name, Budget: st.Study.Trials, Elapsed: st.Study.Elapsed, Created: len(st.Trials)}
	rows := scheduler.Leaderboard(st.Study, st.Trials)
	for _, r := range st.Trials {
		switch r.State {
		case trial.Completed:
			p.Completed++
		case trial.Failed:
			p.Failed++
		case trial.Pruned, trial.Stopped:
			p.Pruned++
		case trial.Running:
			p.Running++
		case trial.Pending:
			p.Queued++
		case trial.Paused:
			p.Paused++
		}
	}
	if len(rows) > 0 && rows[0].Rank == 1 {
		p.Best, p.BestID, p.HasBest = rows[0].Value, rows[0].ID, true
	}
	return p
}

// wireEmbedded connects the scheduler's dispatcher and this process's
// worker slots to the embedded server. stopWorkers cancels running trials
// (handing their jobs back) and waits for the slots to return.
// embeddedDispatcher is the scheduler's dispatcher and its connection.
type embeddedDispatcher struct {
	*natsbus.Dispatcher
	nc *nats.Conn
}

func (d embeddedDispatcher) close() {
	d.Dispatcher.Close()
	d.nc.Close()
}

func wireEmbedded(ctx context.Context, emb *natsbus.Embedded, space *search.Space, f *searchFlags, fresh bool, log *slog.Logger) (embeddedDispatcher, func(), error) {
	var none embeddedDispatcher
	nc, err := emb.Connect("automl-scheduler", log)
	if err != nil {
		return none, nil, err
	}
	disp, err := natsbus.NewDispatcher(ctx, nc, space.Study, natsbus.DispatcherOptions{Logger: log})
	if err != nil {
		nc.Close()
		return none, nil, fmt.Errorf("set up dispatch: %w", err)
	}
	if fresh {
		// A new study: jobs or events left in the NATS store by an earlier
		// study of the same name (whose study file was deleted) must not leak in.
		if err := disp.Purge(ctx); err != nil {
			return none, nil, fmt.Errorf("clear old jobs of study %s: %w", space.Study, err)
		}
	}
	wnc, err := emb.Connect("automl-worker", log)
	if err != nil {
		return none, nil, err
	}
	host, _ := os.Hostname()
	pool := newSlotPool(f.workers, trainerLog{log})
	w, err := natsbus.NewWorker(wnc, pool.runnerFor, natsbus.WorkerOptions{
		Pool: poolOf(space), Slots: f.workers, Name: host, Logger: log,
		// Idle slots ask again twice a second, so the study ends promptly.
		FetchWait: 500 * time.Millisecond,
	})
	if err != nil {
		return none, nil, fmt.Errorf("start worker slots: %w", err)
	}
	wctx, wcancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("worker stopped", "err", err)
		}
	}()
	stop := func() {
		wcancel()
		<-done
		pool.Close()
		wnc.Close()
	}
	return embeddedDispatcher{disp, nc}, stop, nil
}

func poolOf(space *search.Space) string {
	if space.Trainer.Pool != "" {
		return space.Trainer.Pool
	}
	return "default"
}

func printResult(w io.Writer, store scheduler.Store, study string, sum scheduler.Summary, f *searchFlags) error {
	st, err := store.Load(context.Background(), study)
	if err != nil {
		return err
	}
	rows := scheduler.Leaderboard(st.Study, st.Trials)
	if len(rows) > f.top {
		rows = rows[:f.top]
	}
	if f.asJSON {
		return scheduler.WriteJSON(w, st.Study, rows)
	}
	fmt.Fprintf(w, "study %s: %s (%s)\n", study, sum.Status, sum.Reason)
	fmt.Fprintf(w, "trials: %s; elapsed %s; seed %d\n\n", countsLine(sum.Counts, st.Study.Trials), roundDuration(st.Study.Elapsed), st.Study.Seed)
	if len(rows) == 0 {
		return nil
	}
	if err := printTable(w, scheduler.Columns(st.Study, rows), rows); err != nil {
		return err
	}
	if sum.HasBest {
		fmt.Fprintf(w, "\nbest: trial %d, %s = %.6g\n", sum.Best.ID, st.Study.Metric, sum.Best.Value)
		for _, nv := range sum.Best.Params {
			fmt.Fprintf(w, "  %s: %v\n", nv.Name, nv.Value)
		}
	}
	return nil
}

// trainerLog passes trainer output (plugin stderr) to the log at debug level.
type trainerLog struct{ log *slog.Logger }

func (t trainerLog) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			t.log.Debug("trainer: " + line)
		}
	}
	return len(p), nil
}
