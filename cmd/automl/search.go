package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"automl/backends/bolt"
	"automl/backends/natsbus"
	"automl/control"
	"automl/internal/words"
	"automl/report"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
	"automl/worker"
)

type searchFlags struct {
	space   string
	db      string
	trials  budgetArg // N or +N
	workers int
	seed    int64
	timeout budgetArg // D or +D
	retries int
	// override holds the budget flags given on the command line; budget
	// the trial budget and timeout, set or raised.
	override   spacefile.Budget
	budget     control.Flags
	maxFailed  int
	failFast   int
	top        int
	asJSON     bool
	quiet      bool
	logLevel   string
	seedSet    bool
	cpuProfile string

	nats        natsFlags
	natsStorage byteSize
	fleet       fleetFlags
	listen      string
	parallel    int
	maxLost     int
	ackWait     time.Duration
	maxDeliver  int
	replicas    int
	store       storeFlags
	grace       time.Duration
	allowEdit   bool
	metrics     metricsFlags
	// gpus and gpusPerTrial lay out the slots here as automl worker does
	// (plan; nil without --gpus: --workers slots that see every GPU).
	trainerLogs  bool
	gpus         string
	gpusPerTrial int
	plan         *worker.Plan
}

// remote reports whether workers of other processes can join the study.
func (f *searchFlags) remote() bool { return f.nats.url != "" || f.listen != "" }

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
that were running when it stopped run again, completed ones never do.
--trials N sets the trial budget and --trials +N adds N to it (never below
the trials the study already has); --timeout D and +D alike. The budget
stored with the study follows the last such change (or automl budget): a
continued study keeps it, and takes the space file's value only when the
file changed it since the study last ran; the log says which applies and
why. Failed trials do not count against the trial budget (others take
their place) unless the space file says budget.count_failed: true.

An edited space file (a bound widened or narrowed, choices added or
removed, a parameter added with a default: for the earlier trials or
removed, log or step changed) is shown change by change and refused; run
again with --allow-space-change to apply it. The earlier trials stay as
they were; new trials come from the new space, and model-based algorithms
learn from every earlier trial that fits it (it says how many). A
parameter's type, the objective, the algorithm and the trainer cannot
change within a study. A running study is edited by stopping it (automl
stop STUDY) and running the edited file.

The embedded server may use --nats-storage of disk in <db>.nats (default
256MiB, or half the disk's free space when less). When the disk fills, the
study waits (the log says which directory, and how much is free) and goes
on by itself once space is freed; nothing is lost.

The study file is checked whole when it is opened (bbolt's page check and
every record's checksum); a damaged one is refused, never used or
overwritten, and automl check lists what is damaged. While the study runs
a checked copy is kept at <db>.backup, remade after --backup-every commits
or --backup-interval of time and at the end; restore it with cp.

--timeout (or budget.timeout) is wall time, summed over the runs of the
study: when it is reached no trial starts, running trials may finish for
up to --timeout-grace, then they are stopped and queued again; the study
ends done. Continued with a larger --timeout, those trials run again (from
their checkpoints where the trainer keeps them); with the same, it runs
nothing.

SIGINT (Ctrl-C) or SIGTERM once stops dispatching and lets running trials
finish for up to --timeout-grace; then, or at a second signal, they are
stopped too (they run again when the study continues), and whatever does
not answer within 5 s more is not waited for. The exit status is 128 + the
first signal's number: 130 for SIGINT, 143 for SIGTERM. automl stop STUDY
[TRIAL...] stops a running study, or some of its trials, from another
terminal.

A fleet: --listen HOST:PORT exposes the embedded server so that automl
worker processes on other machines join (nothing else to install);
--nats URL uses an existing NATS server (or cluster) instead of the
embedded one, and then runs no local slots unless --workers says so.
Either way --parallel is how many trials are queued or running at once:
set it to the fleet's slot count (at most 4096). It is a ceiling, not a
backlog: jobs are queued as workers are seen taking them, at most twice
the slots seen busy (128 at least). Once connected, the scheduler and the
workers reconnect to NATS forever; a server not there at the start is an
error (exit status 2). Workers that joined a --listen search leave when
it ends.

--gpus gives the slots here GPUs as automl worker does: one slot per GPU
(or per --gpus-per-trial GPUs) with CUDA_VISIBLE_DEVICES set to them.

Before the first trial, what every trial would fail on is checked (as
automl validate does): a plugin binary completes the handshake, the mlp
trainer's data set is read in full, the exec trainer's program is found;
a mistake is reported at its place in the space file (exit status 2).
With --workers 0 no trial runs here, so the program is not looked for.

Failure budgets: a trial whose code fails (non-zero exit, panic, NaN) is
re-run --retries times, then fails; the study fails after --max-failed
failed trials, or as soon as the first --fail-fast trials of a run (3)
all fail with the same cause. The space file may set them as study
settings (budget: retries, max_lost, max_failed, fail_fast); the flags
override it. A study ends done (exit status 0) only with at least one
completed trial; else it has failed (1), saying why. Infrastructure
failures never count as failures: a job whose worker dies or freezes
goes to another worker after the lease (--ack-wait), up to --max-deliver
times; a run a worker reports lost (its trainer could not start, its
result could not be stored) is re-run up to --max-lost times.

` + natsEnvHelp,
		Example: `  automl search -space examples/quickstart/space.yaml
  automl search -space space.yaml --trials 200 --workers 8 --seed 42
  automl search -space space.yaml --db runs/exp1.db --timeout 2h
  automl search -space space.yaml --gpus all --log-format json --trainer-logs
  automl search -space edited.yaml --allow-space-change --trials 300
  automl search -space space.yaml --listen 0.0.0.0:4222 --workers 0 --parallel 16
  automl search -space space.yaml --nats nats://nats.internal:4222 --user scheduler --parallel 64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.seedSet = cmd.Flags().Changed("seed")
			f.override = f.budgetOverride(cmd)
			var err error
			if f.budget.Trials, err = f.trials.trials("--trials"); err != nil {
				return err
			}
			if f.budget.Timeout, err = f.timeout.timeout("--timeout"); err != nil {
				return err
			}
			f.budget.AddTrials, f.budget.AddTimeout, f.budget.By = f.trials.add, f.timeout.add, whoami()
			f.nats.resolve(cmd)
			f.fleet.db = f.db
			if !cmd.Flags().Changed("workers") && f.nats.url != "" {
				f.workers = 0 // an external NATS: the fleet runs the trials
			}
			if err := f.planSlots(cmd); err != nil {
				return err
			}
			if !cmd.Flags().Changed("parallel") {
				f.parallel = f.workers
				if f.remote() {
					f.parallel = max(f.workers, 32)
				}
			}
			return runSearch(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.space, "space", "", "the space file (required)")
	addDBFlag(cmd, &f.db)
	fl.Var(&f.trials, "trials", "trial budget: N sets it, +N adds N (overrides the space file's)")
	fl.IntVar(&f.workers, "workers", runtime.NumCPU(), "worker slots in this process, one per CPU (with --nats: 0 unless given)")
	fl.StringVar(&f.gpus, "gpus", "", "give the worker slots here GPUs as automl worker does: all, none, or indices such as 0,1 (from nvidia-smi); one slot per GPU (or per --gpus-per-trial GPUs), --workers at most (default: --workers slots that see every GPU)")
	fl.IntVar(&f.gpusPerTrial, "gpus-per-trial", 1, "with --gpus: GPUs each trial gets")
	fl.IntVar(&f.parallel, "parallel", 0, "trials queued or running at once, at most 4096 (default: --workers; 32 with --nats or --listen)")
	fl.Int64Var(&f.seed, "seed", 0, "random seed (overrides the space file's; default: chosen and recorded)")
	fl.Var(&f.timeout, "timeout", "wall-time budget of the study, e.g. 30m, or +30m to add 30 minutes (overrides the space file's): then no new trials, and running ones are stopped after --timeout-grace")
	fl.IntVar(&f.retries, "retries", 0, "times a trial whose code failed is run again (overrides the space file's budget.retries)")
	fl.IntVar(&f.maxLost, "max-lost", 5, "times a run a worker reports lost is run again, not counted as failures (overrides budget.max_lost)")
	fl.IntVar(&f.maxFailed, "max-failed", 0, "end the study after this many failed trials (default: 10% of the budget, at least 5; overrides budget.max_failed)")
	fl.IntVar(&f.failFast, "fail-fast", spacefile.DefaultFailFast, "stop the study when the first N trials of the run all fail with the same cause; 0: never (overrides budget.fail_fast)")
	fl.IntVar(&f.top, "top", 10, "leaderboard rows to print at the end (0: none)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for developers)")
	_ = fl.MarkHidden("cpuprofile")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON (for programs)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress or log lines, only the result")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.BoolVar(&f.trainerLogs, "trainer-logs", false, trainerLogsHelp)
	addNATSFlags(cmd, &f.nats, "use this NATS server (or cluster, comma-separated URLs) instead of the embedded one")
	fl.StringVar(&f.listen, "listen", "", "expose the embedded NATS server on HOST:PORT so remote workers can join (TLS and credentials set up beside the study file)")
	addFleetFlag(cmd, &f.fleet)
	fl.Var(&f.natsStorage, "nats-storage", "disk the embedded NATS server may use in <db>.nats for jobs, events and checkpoints, e.g. 512MiB (default 256MiB, or half the disk's free space when less); with --nats, what the streams this scheduler creates may hold")
	fl.DurationVar(&f.ackWait, "ack-wait", 0, "job lease: a silent worker's trials go elsewhere after it (default: the pool's, 60s when new)")
	fl.IntVar(&f.maxDeliver, "max-deliver", 0, "times a job is handed out before its trial fails (default: the pool's, 10 when new)")
	fl.IntVar(&f.replicas, "replicas", 1, "stream replicas when creating them (3 on a JetStream cluster)")
	fl.BoolVar(&f.allowEdit, "allow-space-change", false, "continue an existing study with an edited space file (bounds, choices, parameters added with a default: or removed); without it the changes are shown and refused")
	fl.DurationVar(&f.grace, "timeout-grace", 30*time.Second, "once --timeout is reached, or after SIGINT or SIGTERM, how long running trials may take to finish before they are stopped (0: stop them at once)")
	addStoreFlags(cmd, &f.store)
	addSearchMetricsFlags(cmd, &f.metrics)
	_ = cmd.MarkFlagRequired("space")
	return cmd
}

// planSlots lays out the slots here with --gpus, through the worker's own
// code (worker.PlanSlots): --workers, when given, caps them.
func (f *searchFlags) planSlots(cmd *cobra.Command) error {
	given := cmd.Flags().Changed
	if !given("gpus") {
		if given("gpus-per-trial") {
			return usagef("--gpus-per-trial needs --gpus (all, or the GPUs to use)")
		}
		return nil
	}
	limit := 0
	if given("workers") {
		if f.workers < 1 {
			return usagef("--gpus with --workers %d: give --workers 1 or more (the most slots here), or leave --gpus out", f.workers)
		}
		limit = f.workers
	}
	plan, err := worker.PlanSlots(cmd.Context(), f.gpus, f.gpusPerTrial, limit, runtime.NumCPU())
	if err != nil {
		return usageError{err}
	}
	f.plan, f.workers = &plan, plan.Slots
	return nil
}

func (f *searchFlags) flagsOK() error {
	switch {
	case f.workers < 0:
		return usagef("--workers must be >= 0, got %d", f.workers)
	case f.workers > worker.MaxSlots:
		return usagef("--workers must be at most %d (each slot is a trainer process of this machine), got %d", worker.MaxSlots, f.workers)
	case f.workers == 0 && !f.remote():
		return usagef("--workers must be >= 1, got 0 (without --nats or --listen no other worker can join)")
	case f.nats.url != "" && f.listen != "":
		return usagef("--nats and --listen: give one (--listen exposes the embedded server; --nats replaces it)")
	case f.parallel < 1:
		return usagef("--parallel must be >= 1, got %d", f.parallel)
	case f.parallel > scheduler.MaxSlots:
		return usagef("--parallel must be at most %d (trials queued or running at once, a fleet's slots), got %d", scheduler.MaxSlots, f.parallel)
	case f.maxLost < 0 || f.maxDeliver < 0 || f.ackWait < 0 || f.replicas < 1:
		return usagef("--max-lost, --max-deliver and --ack-wait must be >= 0, --replicas >= 1")
	case f.seed < 0:
		return usagef("--seed must be >= 0, got %d", f.seed)
	case f.retries < 0 || f.maxFailed < 0 || f.failFast < 0:
		return usagef("--retries, --max-failed and --fail-fast must be >= 0")
	case f.grace < 0:
		return usagef("--timeout-grace must be >= 0, got %s", f.grace)
	}
	return firstError(
		atMost("--retries", f.retries, maxCount, ""),
		atMost("--max-lost", f.maxLost, maxCount, ""),
		atMost("--max-failed", f.maxFailed, maxCount, ""),
		atMost("--fail-fast", f.failFast, maxCount, ""),
		atMost("--max-deliver", f.maxDeliver, maxDeliver, ""),
		atMost("--replicas", f.replicas, maxReplicas, "JetStream's most"),
		atMost("--ack-wait", f.ackWait, maxAckWait, "a day"),
		atMost("--timeout-grace", f.grace, maxGrace, "a day"),
		f.store.check(),
	)
}

func runSearch(cmd *cobra.Command, f *searchFlags) error {
	if err := f.flagsOK(); err != nil {
		return err
	}
	mon, err := startMetrics(f.metrics.addr, f.metrics.linger)
	if err != nil {
		return err
	}
	defer mon.close()
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
	space, err := spacefile.ParseFile(f.space)
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
	if f.plan != nil {
		logGPUs(log, *f.plan)
	}
	// What every trial would fail on is refused before the first one.
	checked, err := preflight(space, f.workers > 0)
	if err != nil {
		return usageError{err}
	}
	for _, c := range checked {
		log.Info("checked before the first trial: " + c)
	}

	store, err := openStore(f.db, f.store.options(log))
	if err != nil {
		var inUse *bolt.InUseError
		if errors.As(err, &inUse) {
			// The study (or another of the file) runs: its scheduler holds
			// the file, and an edited space is applied as a study starts.
			return usagef("%v; to run study %s with %s (an edited space included), stop it first (automl stop %s%s) and run this command again", err, space.Study, f.space, space.Study, dbArg(f.db))
		}
		return err
	}
	defer store.Close()

	ctx := cmd.Context()
	imports, err := warmStart(ctx, space, f.db, store, log)
	if err != nil {
		return err
	}
	// The embedded server keeps its JetStream data beside the study file
	// (<db>.nats); its own notices (its banner) are noise here, warnings not.
	serverLog := con.logger(max(level, slog.LevelWarn))
	if f.quiet {
		serverLog = log
	}
	bus, err := openBus(f, serverLog, log)
	if err != nil {
		return err
	}
	defer bus.close()
	mon.connected(bus.nc)
	// Said once everything has started: a start that fails says one line.
	f.store.announce(f.db, log)
	keep := &modelKeeper{st: store, db: f.db, space: space, log: log}
	disp, startWorkers, stopWorkers, err := wire(ctx, bus, space, f, log, keep.harvested)
	if err != nil {
		return err
	}
	defer disp.Close()

	slots := f.parallel
	if !f.remote() && slots > f.workers {
		// No other worker can join: the slots here are all there are.
		log.Info("--parallel is more than the worker slots here, and no other worker can join (no --nats or --listen)", "parallel", f.parallel, "workers", f.workers)
		slots = f.workers
	}
	lead, leadRuns := scheduler.DefaultLead(space, slots)
	cfg := scheduler.Config{
		File: space, Store: store, StoreFile: f.db, Dispatcher: disp, Slots: slots,
		Queue: scheduler.DefaultQueue(space, slots), Lead: lead, LeadRuns: leadRuns,
		Override: f.override, Log: log, Ready: startWorkers, TimeoutGrace: f.grace,
		Imports: imports, AllowSpaceChange: f.allowEdit,
		Settle: func(st *scheduler.Study, recs []trial.Record, created bool) error {
			note, err := control.Settle(st, recs, created, space, f.budget, time.Now())
			if note != "" {
				log.Info(note)
			}
			return err
		},
	}
	if !f.quiet {
		cfg.SpaceEdited = func(e scheduler.SpaceEdit) {
			if jsonLogs() {
				log.Info(strings.TrimSpace(spaceEditText(e)), "study", e.Study)
				return
			}
			fmt.Fprint(con, spaceEditText(e))
		}
	}
	if f.seedSet {
		seed := uint64(f.seed)
		cfg.Seed = &seed
	}
	var last scheduler.Progress // the study's state as Run last reported it
	if !f.quiet {
		cfg.Progress = func(p scheduler.Progress) { last = p; con.progress(p, false) }
	}
	endStudy := mon.study(&cfg, disp, space.Trainer.PoolName())
	s, err := scheduler.New(cfg)
	if err != nil {
		return err
	}
	// automl stop, budget, enqueue and retry reach the scheduler through NATS.
	requests, err := natsbus.ServeControl(bus.nc, space.Study, func(ctx context.Context, req []byte) []byte { return control.Serve(ctx, s, req) }, log)
	if err != nil {
		return err
	}
	defer func() { _ = requests.Unsubscribe() }()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	resume := fmt.Sprintf("automl search -space %s%s", f.space, dbArg(f.db))
	stop := &stopper{
		log: log, grace: f.grace, interactive: term.IsTerminal(int(os.Stdin.Fd())),
		drain: s.Drain, hard: cancel, resume: resume, exit: os.Exit, stderr: os.Stderr,
	}
	con.hint = stop.hint
	stop.start()
	defer stop.release()

	sum, runErr := s.Run(runCtx)
	keep.apply(context.WithoutCancel(ctx)) // every model kept so far, and keep_models may have changed
	if space.Ensemble != nil && sum.Status == scheduler.StudyDone {
		buildStudyEnsemble(context.WithoutCancel(ctx), store, f.db, space, log)
	}
	endStudy(sum)
	waitBounded(stopWorkers, stopLimit/2, func() {
		log.Warn("worker slots still stopping (a trainer or NATS does not answer); not waiting for them", "after", stopLimit/2)
	})
	if !f.quiet && last.Study != "" {
		con.progress(last, true) // one last line with the final counts
	}
	if f.listen != "" {
		// The workers that joined leave (the embedded server goes now).
		ended := cmp.Or(string(sum.Status), string(scheduler.StudyInterrupted))
		if err := disp.Ended(context.Background(), ended); err != nil {
			log.Warn("cannot tell the workers the search ended", "err", err)
		}
	}
	if errors.Is(runErr, scheduler.ErrCannotResume) || errors.Is(runErr, control.ErrBadRequest) {
		return usageError{runErr} // another space file or seed, an edit not allowed, a budget below what is done: the user's to change
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	if err := printResult(cmd.OutOrStdout(), store, space.Study, sum, f); err != nil {
		return err
	}
	switch {
	case errors.Is(runErr, context.Canceled) || sum.Status == scheduler.StudyInterrupted:
		sig := stop.signal()
		how := ""
		switch {
		case sig != nil && errors.Is(runErr, context.Canceled) && sum.Counts[trial.Running] > 0:
			how = fmt.Sprintf(" by %s: %d running trial(s) stopped, to run again when it continues", sigName(sig), sum.Counts[trial.Running])
		case sig != nil && errors.Is(runErr, context.Canceled):
			how = " by " + sigName(sig)
		case sig != nil:
			how = fmt.Sprintf(" by %s: its running trials finished", sigName(sig))
		}
		say(cmd.ErrOrStderr(), slog.LevelWarn, "study %s interrupted%s; continue it with: %s", space.Study, how, resume)
		if sig != nil {
			return interrupted{sig}
		}
		return errInterrupted
	case sum.Status == scheduler.StudyFailed:
		return fmt.Errorf("study %s failed: %s", space.Study, sum.Reason)
	}
	if !f.quiet {
		say(cmd.ErrOrStderr(), slog.LevelInfo, "%s", nextStep(space.Study, f.db))
	}
	return nil
}

// spaceEditText says what an edit of the study's space changed, a line
// each, and what the search learns from.
func spaceEditText(e scheduler.SpaceEdit) string {
	return fmt.Sprintf("study %s: its space changed (version %d, from trial %d):\n  %s\n%s\n",
		e.Study, e.Version, e.FirstTrial, strings.Join(e.Changes, "\n  "), e.Learning)
}

// nextStep is the line that ends a successful study: where to look at it.
// It names the binary as it was typed when that was a relative path (the
// README's ./automl), so the line runs as it stands.
func nextStep(study, db string) string {
	self := "automl"
	if a := os.Args[0]; strings.HasPrefix(a, "./") || strings.HasPrefix(a, "../") {
		self = a
	}
	return fmt.Sprintf("next: %s report %s%s --format html -o report.html   (one page: leaderboard, plots, why trials did not complete)", self, study, dbArg(db))
}

// budgetOverride is the budget the command line sets: the flags given,
// which replace the space file's values. --max-failed 0 means the default
// (10% of the trial budget, at least 5), as its help says.
func (f *searchFlags) budgetOverride(cmd *cobra.Command) spacefile.Budget {
	var o spacefile.Budget
	given := cmd.Flags().Changed
	if given("retries") {
		o.Retries = &f.retries
	}
	if given("max-lost") {
		o.MaxLost = &f.maxLost
	}
	if given("max-failed") && f.maxFailed > 0 {
		o.MaxFailed = &f.maxFailed
	}
	if given("fail-fast") {
		o.FailFast = &f.failFast
	}
	return o
}

func dbArg(db string) string {
	if db == defaultDB {
		return ""
	}
	return " --db " + db
}

func printResult(w io.Writer, store scheduler.Reader, study string, sum scheduler.Summary, f *searchFlags) error {
	st, err := store.Load(context.Background(), study)
	if err != nil {
		return err
	}
	all := report.Leaderboard(st.Study, st.Trials)
	rows := all
	if len(rows) > f.top {
		rows = rows[:f.top]
	}
	if f.asJSON {
		return report.WriteJSON(w, st.Study, rows, nil)
	}
	fmt.Fprintf(w, "study %s: %s (%s)\n", study, sum.Status, sum.Reason)
	fmt.Fprintf(w, "trials: %s; elapsed %s; seed %d\n\n", report.StateCounts(sum.Counts, st.Study.Trials), roundDuration(st.Study.Elapsed), st.Study.Seed)
	if len(rows) == 0 {
		return nil
	}
	cols, err := report.SelectColumns(report.Columns(st.Study, rows), nil, "table")
	if err != nil {
		return err
	}
	if err := printTable(w, cols, rows); err != nil {
		return err
	}
	if err := report.WriteReasons(w, all, false); err != nil {
		return err
	}
	if sum.HasBest {
		fmt.Fprintf(w, "\nbest: trial %d, %s = %.6g\n", sum.Best.ID, st.Study.Metric, sum.Best.Value)
		for _, nv := range sum.Best.Params {
			fmt.Fprintf(w, "  %s: %v\n", nv.Name, nv.Value)
		}
	} else if len(sum.Front) > 0 {
		fmt.Fprintf(w, "\npareto front: %s, hypervolume %.6g (reference: the nadir of the feasible trials + 10%%); automl trials %s --pareto lists them\n",
			words.Plural(len(sum.Front), "trial"), sum.Hypervolume, st.Study.Name)
	}
	return nil
}
