// Package exec is the `exec` trainer: it runs any command, without a
// shell, as one trial. The trial's parameters reach the program as a JSON
// file named by AUTOML_PARAMS, as the AUTOML_PARAMS_JSON variable, and as
// {name} placeholders in its arguments; the program prints metrics as JSON
// lines on stdout ({"step": 3, "val_loss": 0.41}); every other line it
// prints, on stdout or stderr, is the trial's log, each line with its time
// and stream (automl logs STUDY TRIAL; the last 50 lines also explain a
// failure).
//
// Config keys:
//
//	command  the program and its arguments, e.g. [python3, train.py, --epochs, "{epochs}"] (required)
//	workdir  the program's working directory (default: the worker's)
//	env      variables to add, e.g. {OMP_NUM_THREADS: 1}; values may hold placeholders
//	timeout  the longest a run may take, e.g. 30m; its process group is then killed
//
// Placeholders: any parameter, the study's resource (the job's To), and
// trial_id, study, seed, resource_from, resource_to, checkpoint_dir,
// params_file. The program also gets AUTOML_CHECKPOINT_DIR (where to save
// and, when resuming, find its checkpoint), AUTOML_RESOURCE_FROM and
// AUTOML_RESOURCE_TO (the span to train), AUTOML_RESOURCE, AUTOML_TRIAL_ID,
// AUTOML_STUDY and AUTOML_SEED.
//
// The program runs in its own process group, which is killed whole when
// the trial stops, times out or ends, so nothing it started lives on. A
// non-zero exit fails the trial; an exit without any metric line fails it
// with trial.ErrNoMetrics.
package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"automl/internal/cause"
	"automl/plugins"
	"automl/plugins/internal/proc"
	"automl/spacefile"
	"automl/trial"
	"automl/trial/triallog"
)

// stopGrace is how long a stopped program has, after SIGTERM to its group,
// before the group is killed.
const stopGrace = 2 * time.Second

// Runner runs exec trials. It is safe for concurrent use.
type Runner struct {
	// Log, when set, receives every log line as it is printed.
	Log io.Writer
	// Env is the base environment of the programs (default: the process's
	// own, less go-plugin's handshake variables).
	Env []string
}

func init() {
	spacefile.RegisterTrainer(spacefile.TrainerSpec{Name: "exec", Check: check, Preflight: preflight})
	// In a plugin process stderr reaches the host, which keeps it as the
	// trainer's log.
	plugins.RegisterBuiltin("exec", func() trial.Runner { return &Runner{Log: os.Stderr} })
}

// Run runs the spec's command once.
func (r *Runner) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	cfg, err := ParseConfig(spec.Trainer.Config)
	if err != nil {
		return trial.Result{}, fmt.Errorf("exec trainer config: %w", err)
	}
	tmp, err := os.MkdirTemp("", "automl-exec-")
	if err != nil {
		return trial.Result{}, fmt.Errorf("exec: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd, err := r.command(cfg, spec, tmp)
	if err != nil {
		return trial.Result{}, err
	}
	sink, _ := rep.(triallog.Sink)
	run := &execRun{spec: spec, rep: rep, log: &lineLog{sink: sink, out: r.Log}, stderr: &lineLog{}, name: cfg.Command[0]}
	return run.run(ctx, cmd, cfg.Timeout)
}

// command builds the program's command: templated arguments and
// environment, the parameters file, and a process group of its own.
func (r *Runner) command(cfg Config, spec trial.Spec, tmp string) (*osexec.Cmd, error) {
	params, err := json.Marshal(spec.Params)
	if err != nil {
		return nil, fmt.Errorf("exec: encode params: %w", err)
	}
	paramsFile := filepath.Join(tmp, "params.json")
	if err := os.WriteFile(paramsFile, params, 0o600); err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	v := vars(spec, paramsFile)
	argv := make([]string, len(cfg.Command))
	for i, a := range cfg.Command {
		if argv[i], err = expand(a, v); err != nil {
			if r := spec.Resource; r != "" && spec.To == 0 && strings.Contains(err.Error(), "{"+r+"}") {
				err = fmt.Errorf("%w (this job has no resource span, as with algorithms that are not multi-fidelity: give the program a default, e.g. from AUTOML_RESOURCE_TO = 0)", err)
			}
			return nil, fmt.Errorf("exec: command: %w", err)
		}
	}
	env := r.Env
	if env == nil {
		env = plugins.TrainerEnv()
	}
	env = append([]string(nil), env...)
	for k, val := range cfg.Env {
		x, err := expand(val, v)
		if err != nil {
			return nil, fmt.Errorf("exec: env %s: %w", k, err)
		}
		env = append(env, k+"="+x)
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	env = append(env,
		"AUTOML_PARAMS="+paramsFile,
		"AUTOML_PARAMS_JSON="+string(params),
		"AUTOML_RESOURCE="+spec.Resource,
		"AUTOML_RESOURCE_FROM="+num(spec.From),
		"AUTOML_RESOURCE_TO="+num(spec.To),
		"AUTOML_TRIAL_ID="+strconv.Itoa(spec.Key.ID),
		"AUTOML_STUDY="+spec.Key.Study,
		"AUTOML_SEED="+strconv.FormatUint(spec.Seed, 10),
	)
	if spec.CheckpointDir != "" {
		if err := os.MkdirAll(spec.CheckpointDir, 0o755); err != nil {
			return nil, fmt.Errorf("exec: checkpoint dir: %w", err)
		}
		env = append(env, "AUTOML_CHECKPOINT_DIR="+spec.CheckpointDir)
	}
	cmd := osexec.Command(argv[0], argv[1:]...)
	if errors.Is(cmd.Err, osexec.ErrDot) {
		return nil, fmt.Errorf("exec: command %q resolves to the current directory; write ./%s to run it from there", argv[0], argv[0])
	}
	cmd.Dir = cfg.Workdir
	cmd.Env = env
	cmd.SysProcAttr = proc.GroupAttr()
	return cmd, nil
}

// stamped is a line of the program's stdout and when it was read.
type stamped struct {
	at   time.Time
	text string
}

// execRun is one run of a program.
type execRun struct {
	spec   trial.Spec
	rep    trial.Reporter
	log    *lineLog // every line that is not a metric, stdout and stderr
	stderr *lineLog // stderr alone: what explains a failure
	name   string

	step    float64
	metrics trial.Metrics // latest value of every metric seen
	seen    bool          // any metric line
	pruned  bool
	failure error

	// The lines that looked like metric lines but were not: how many, and
	// the first with why (the author is warned once per trial).
	badLines int
	firstBad string
}

func (e *execRun) run(ctx context.Context, cmd *osexec.Cmd, timeout time.Duration) (trial.Result, error) {
	e.step = e.spec.From
	outR, outW, err := os.Pipe()
	if err != nil {
		return trial.Result{}, fmt.Errorf("exec: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return trial.Result{}, fmt.Errorf("exec: %w", err)
	}
	defer outR.Close()
	defer errR.Close()
	cmd.Stdout, cmd.Stderr = outW, errW
	// Started on a locked thread kept until the program is reaped, so its
	// parent-death signal fires only if this process dies.
	reaped := make(chan struct{})
	defer close(reaped)
	err = proc.Locked(cmd.Start, reaped)
	outW.Close()
	errW.Close()
	if err != nil {
		return trial.Result{}, fmt.Errorf("exec: start %s: %w", cmd.Path, err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	lines := make(chan stamped, 64)
	go func() {
		readLines(outR, func(s string) { lines <- stamped{time.Now().UTC(), s} })
		close(lines)
	}()
	stderrDone := make(chan struct{})
	go func() {
		readLines(errR, func(s string) {
			e.log.addAt(time.Now().UTC(), triallog.Stderr, s)
			e.stderr.add(s)
		})
		close(stderrDone)
	}()

	runCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var (
		stopped  bool
		killAt   <-chan time.Time
		exitErr  error
		hasExit  bool
		done     = runCtx.Done()
		stopping = func() {
			if !stopped {
				stopped = true
				proc.KillGroup(pgid, syscall.SIGTERM)
				killAt = time.After(stopGrace)
			}
		}
	)
	for lines != nil || !hasExit {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil
				continue
			}
			if e.line(runCtx, line.at, line.text, stopped) {
				stopping()
			}
		case exitErr = <-exited:
			hasExit = true
			exited = nil
			// Whatever the program left running in its group dies with it;
			// then its pipes close, unless a descendant escaped the group.
			proc.KillGroup(pgid, syscall.SIGKILL)
			deadline := time.Now().Add(2 * time.Second)
			outR.SetReadDeadline(deadline)
			errR.SetReadDeadline(deadline)
		case <-done:
			done = nil
			stopping()
		case <-killAt:
			killAt = nil
			proc.KillGroup(pgid, syscall.SIGKILL)
		}
	}
	<-stderrDone
	return e.result(ctx, runCtx, timeout, exitErr)
}

// line handles one stdout line; it returns true when the program must stop
// (a Stop directive, a non-finite metric, a failed report).
func (e *execRun) line(ctx context.Context, at time.Time, line string, stopped bool) bool {
	step, hasStep, m, ok, bad := parseMetrics(line)
	if !ok {
		e.log.addAt(at, triallog.Stdout, line)
		if bad != "" {
			e.badLine(line, bad)
		}
		return false
	}
	if !hasStep {
		step = e.step + 1
	}
	e.step, e.seen = step, true
	if name, finite := m.Finite(); !finite {
		if !stopped {
			e.failure = fmt.Errorf("exec: %s printed metric %q = %v at step %v, in the line %s; metrics must be finite numbers, so the trial fails (a NaN or infinite loss usually means training diverged: a lower learning rate may help)",
				e.name, name, m[name], step, clip(strings.TrimSpace(line), 200))
		}
		return !stopped
	}
	if e.metrics == nil {
		e.metrics = trial.Metrics{}
	}
	for k, v := range m {
		e.metrics[k] = v
	}
	if stopped {
		return false
	}
	d, err := e.rep.Report(ctx, step, m)
	switch {
	case err != nil && ctx.Err() == nil:
		e.failure = fmt.Errorf("exec: report step %v: %w", step, err)
		return true
	case err == nil && d == trial.Stop:
		e.pruned = true
		return true
	}
	return false
}

// result says how the run ended, in order of precedence: a failure the
// trainer found, a pruning, a stop, a timeout, a failed exit, no metrics.
func (e *execRun) result(ctx, runCtx context.Context, timeout time.Duration, exitErr error) (trial.Result, error) {
	res := trial.Result{Step: e.step, Metrics: e.metrics}
	fail := func(err error) (trial.Result, error) {
		res.Outcome, res.Error = trial.ExitCrashed, err.Error()
		return res, err
	}
	switch {
	case e.failure != nil:
		return fail(e.failure)
	case e.pruned:
		res.Outcome = trial.ExitPruned
		return res, nil
	case ctx.Err() != nil:
		res.Outcome = trial.ExitAborted
		return res, nil
	case runCtx.Err() != nil:
		return fail(fmt.Errorf("%s", e.withOutput(fmt.Sprintf("exec: %s timed out after %v; its process group was killed", e.name, timeout))))
	case exitErr != nil:
		return fail(fmt.Errorf("%s", e.withOutput(fmt.Sprintf("exec: %s %s", e.name, describeExit(exitErr)))))
	case !e.seen:
		msg := fmt.Sprintf(`exec: %s exited without printing a metric line such as {"step": 1, "loss": 0.5} (%v)`, e.name, trial.ErrNoMetrics)
		switch {
		case e.badLines == 1:
			msg += "; one line looked like one but was not: " + e.firstBad
		case e.badLines > 1:
			msg += fmt.Sprintf("; %d lines looked like one but were not, the first: %s", e.badLines, e.firstBad)
		}
		return fail(&noMetrics{e.withOutput(msg)})
	}
	res.Outcome = trial.ExitDone
	if dir := e.spec.CheckpointDir; dir != "" {
		if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
			res.Checkpoint = dir
		}
	}
	return res, nil
}

// badLine warns, once per run, about a line that looked like a metric line
// but was not one (it stays in the log).
func (e *execRun) badLine(line, why string) {
	e.badLines++
	if e.badLines > 1 {
		return
	}
	e.firstBad = clip(strings.TrimSpace(line), 200) + ": " + why
	e.log.note(fmt.Sprintf("%strial %v: %s printed a line that looks like a metric line but is not one, so it is kept as log: %s (warned once per trial)",
		plugins.WarningPrefix, e.spec.Key, e.name, e.firstBad))
}

// withOutput completes a failure's message with the output that explains
// it: first the line that names the cause (a Python traceback's exception
// line), else the line the output ends with, on the message's own line;
// then the last errorLines lines. It quotes stderr, or the program's other
// output when it wrote nothing to stderr.
func (e *execRun) withOutput(msg string) string {
	lines, which := e.stderr.tail(errorLines), "stderr"
	if len(lines) == 0 {
		lines, which = e.log.tail(errorLines), "output"
	}
	if len(lines) == 0 {
		return msg + "; it printed nothing"
	}
	line, named := cause.Explain(lines)
	switch {
	case named:
		msg += ": " + line
	case line != "":
		msg += "; its " + which + " ends with: " + line
	}
	if len(lines) == 1 && line == lines[0] {
		return msg
	}
	return msg + "\nits " + which + " ends:\n" + strings.Join(lines, "\n")
}

// noMetrics is a run that printed no metric line: its message, and
// trial.ErrNoMetrics for errors.Is.
type noMetrics struct{ msg string }

func (e *noMetrics) Error() string { return e.msg }
func (e *noMetrics) Unwrap() error { return trial.ErrNoMetrics }

// describeExit says how a program that failed ended: its exit status, or
// the signal that ended it (a SIGKILL is likely the kernel's OOM killer:
// this trainer asked for no stop, or the trial would have ended stopped
// or timed out before its exit was looked at).
func describeExit(err error) string {
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return proc.Describe(ws, false)
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	return err.Error()
}
