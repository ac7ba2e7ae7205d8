package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"automl/internal/probe"
	"automl/plugins/internal/proc"
	"automl/plugins/internal/trainerpb"
	"automl/trial"
	"automl/trial/triallog"
)

// Run runs one trial in the plugin process. Reports are checked (finite
// metrics, size under the cap) and passed to rep as they arrive; each
// carries rep's directive back. When ctx ends or the spec's trainer timeout
// passes, the plugin is asked to stop and given Config.StopGrace to return
// its result; after that its whole session is killed.
//
// The result on a stop is the plugin's (aborted unless it says pruned,
// done or paused) with no error; a timeout fails the trial (ErrTimeout); a
// NaN or infinite metric fails it (ErrNotFinite), an oversized message
// too (ErrProtocol); a process that dies
// fails it with the end of its stderr, a panic message included
// (ErrCrashed).
func (p *Plugin) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	if err := p.acquire(); err != nil {
		return trial.Result{}, err
	}
	defer p.releaseBusy()
	// The trial's end: what it left running in the box (a daemon it
	// started, a child that called setsid) is killed before the process
	// takes another trial. (A killed plugin's box is already empty.)
	defer p.sweep()
	if !proc.Exists(p.pid) {
		// Died since its last trial (killed while idle, say): the trial
		// never reaches it, which is the infrastructure's failure.
		how, _ := p.waitExit(time.Second, false)
		if how != "" {
			how += "; "
		}
		err := fmt.Errorf("%w: %w: plugin %s (pid %d) was dead before trial %v could start: %s%s",
			trial.ErrLost, ErrCrashed, p.name, p.pid, spec.Key, how, p.crashNote())
		p.markBroken(err)
		p.Kill()
		probe.Get().PluginCrashed(p.kind())
		return failed(trial.Result{}, err)
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return trial.Result{}, fmt.Errorf("encode spec %v: %w", spec.Key, err)
	}
	// What the process prints from now on is the trial's log (when rep
	// keeps one), up to the end marker it prints after the trial.
	sink, _ := rep.(triallog.Sink)
	marker := p.out.attach(sink)
	defer p.out.detach()
	runCtx := ctx
	if t := spec.Trainer.Timeout; t > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(ctx, t, fmt.Errorf("%w after %v (trainer.timeout)", ErrTimeout, t))
		defer cancel()
	}
	// The stream outlives runCtx on purpose: a stopped trial still sends
	// its result (the step reached, a checkpoint) back on it.
	streamCtx, cancelStream := context.WithCancel(context.Background())
	defer cancelStream()
	stream, err := p.rpc.Run(streamCtx)
	if err == nil {
		err = stream.Send(&trainerpb.HostMessage{Msg: &trainerpb.HostMessage_Start{Start: &trainerpb.Start{SpecJson: specJSON, LogMarker: marker}}})
	}
	if err != nil {
		return p.streamFailed(spec, err, true, false)
	}
	type received struct {
		m   *trainerpb.PluginMessage
		err error
	}
	msgs := make(chan received)
	go func() {
		for {
			m, err := stream.Recv()
			select {
			case msgs <- received{m, err}:
			case <-streamCtx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()

	t := &hostTrial{p: p, stream: stream, spec: spec}
	done := runCtx.Done()
	for {
		select {
		case r := <-msgs:
			if r.err != nil {
				if t.killed {
					return t.killedResult(ctx, runCtx)
				}
				return p.streamFailed(spec, r.err, false, t.stopping)
			}
			switch x := r.m.GetMsg().(type) {
			case *trainerpb.PluginMessage_Report:
				if err := t.report(runCtx, rep, x.Report); err != nil {
					return p.streamFailed(spec, err, false, t.stopping)
				}
			case *trainerpb.PluginMessage_Log:
				p.logLines(sink, x.Log)
			case *trainerpb.PluginMessage_Result:
				if x.Result.GetLogMarked() {
					p.out.waitMarkers(markerWait)
				}
				res, runErr := resultFromProto(x.Result)
				// A result that fails already says why (the exec trainer
				// explains a NaN it was printed); only a success is checked.
				if runErr == nil && res.Outcome != trial.ExitCrashed {
					if err := checkFinite(p.name, "returned", res.Step, res.Metrics); err != nil && t.failure == nil {
						t.failure = err
					}
				}
				return t.finish(ctx, runCtx, res, runErr)
			default:
				t.stop(fmt.Errorf("%w: unexpected message %T", ErrProtocol, r.m.GetMsg()))
			}
		case <-done:
			done = nil
			t.stop(nil)
		case <-t.grace:
			// It did not stop in time (a hung or stopped process): kill the
			// session. The stream then fails and the loop returns.
			t.grace = nil
			t.killed = true
			p.Kill()
		}
	}
}

// markerWait bounds the wait for a trial's end markers (see output): the
// output read before them is normally in hand already.
const markerWait = 2 * time.Second

// logLines passes lines the runner logged to the trial's log, or to the
// host's writer when the trial keeps none.
func (p *Plugin) logLines(sink triallog.Sink, m *trainerpb.Log) {
	for _, l := range m.GetLines() {
		line := triallog.Line{Stream: triallog.Stdout, Text: triallog.Clip(l.GetText())}
		if l.GetStderr() {
			line.Stream = triallog.Stderr
		}
		if ns := l.GetTimeUnixNano(); ns > 0 {
			line.Time = time.Unix(0, ns).UTC()
		} else {
			line.Time = time.Now().UTC()
		}
		switch {
		case sink != nil:
			sink.AddLine(line)
		case p.cfg.Stderr != nil:
			io.WriteString(p.cfg.Stderr, line.Text+"\n")
		}
	}
}

// hostTrial is the host's state of one running trial.
type hostTrial struct {
	p        *Plugin
	stream   trainerpb.Trainer_RunClient
	spec     trial.Spec
	stopping bool
	grace    <-chan time.Time
	failure  error // fails the trial once the plugin has stopped
	killed   bool  // the grace ran out and the session was killed
}

// report checks a report, passes it on and answers with the directive.
// Once the trial is stopping, every report is answered with stop.
func (t *hostTrial) report(ctx context.Context, rep trial.Reporter, r *trainerpb.Report) error {
	m := trial.Metrics(r.GetMetrics())
	if err := checkFinite(t.p.name, "reported", r.GetStep(), m); err != nil {
		t.stop(err)
	}
	stop := true
	if !t.stopping {
		d, err := rep.Report(ctx, r.GetStep(), m)
		switch {
		case err != nil && ctx.Err() == nil:
			t.stop(fmt.Errorf("report step %v of trial %v: %w", r.GetStep(), t.spec.Key, err))
		case err == nil:
			stop = d == trial.Stop
		}
	}
	if t.stopping {
		beforeStopDirective()
	}
	err := t.stream.Send(&trainerpb.HostMessage{Msg: &trainerpb.HostMessage_Directive{Directive: &trainerpb.Directive{Stop: stop}}})
	if errors.Is(err, io.EOF) {
		// The plugin ended the stream first (a Cancel sent above let it
		// finish the trial before this answer went out): its result, or
		// the stream's status, is waiting for the receive loop.
		return nil
	}
	return err
}

// beforeStopDirective runs between a Cancel and the stop directive that
// follows it; tests delay it to let the plugin finish first.
var beforeStopDirective = func() {}

// stop asks the plugin to stop now, starts the grace period, and records
// why the trial must fail (nil for a plain stop or timeout).
func (t *hostTrial) stop(failure error) {
	if failure != nil && t.failure == nil {
		t.failure = failure
	}
	if t.stopping {
		return
	}
	t.stopping = true
	t.grace = time.After(t.p.cfg.StopGrace)
	// A send error means the stream is gone; the receive loop sees it.
	_ = t.stream.Send(&trainerpb.HostMessage{Msg: &trainerpb.HostMessage_Cancel{Cancel: &trainerpb.Cancel{}}})
}

// finish turns the plugin's result into the trial's, by why it ended.
func (t *hostTrial) finish(ctx, runCtx context.Context, res trial.Result, runErr error) (trial.Result, error) {
	switch {
	case t.failure != nil:
		return failed(res, t.failure)
	case ctx.Err() == nil && runCtx.Err() != nil: // the trainer timeout
		return failed(res, context.Cause(runCtx))
	case ctx.Err() != nil: // stopped by the host
		switch res.Outcome {
		case trial.ExitDone, trial.ExitPruned, trial.ExitPaused:
		default:
			res.Outcome = trial.ExitAborted
		}
		if runErr != nil && res.Error == "" {
			res.Error = runErr.Error()
		}
		return res, nil
	}
	return res, runErr
}

// killedResult is the result of a trial whose session was killed because
// it did not stop within the grace period.
func (t *hostTrial) killedResult(ctx, runCtx context.Context) (trial.Result, error) {
	note := fmt.Sprintf("plugin %s did not stop within %v; its session was killed", t.p.name, t.p.cfg.StopGrace)
	switch {
	case t.failure != nil:
		return failed(trial.Result{}, fmt.Errorf("%w (%s)", t.failure, note))
	case ctx.Err() == nil && runCtx.Err() != nil:
		return failed(trial.Result{}, fmt.Errorf("%w; %s", context.Cause(runCtx), note))
	}
	return trial.Result{Outcome: trial.ExitAborted, Error: note}, nil
}

func failed(res trial.Result, err error) (trial.Result, error) {
	res.Outcome = trial.ExitCrashed
	res.Error = err.Error()
	return res, err
}

// acquire claims the process for one trial.
func (p *Plugin) acquire() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.broken != nil:
		return fmt.Errorf("%w: plugin %s cannot run a trial: %w", trial.ErrLost, p.name, p.broken)
	case p.busy:
		return fmt.Errorf("plugin %s is running another trial", p.name)
	}
	p.busy = true
	return nil
}

func (p *Plugin) releaseBusy() {
	p.mu.Lock()
	p.busy = false
	p.mu.Unlock()
}

// streamFailed explains a stream that broke mid-trial; the process is
// killed either way (it is never reused after this). A process that died
// is described by how (its exit status, or the signal that killed it: a
// SIGKILL nobody asked for is likely the kernel's OOM killer); stopping
// says the host had asked the trial to stop.
//
// A stream that could not even be opened (beforeStart: the trainer never
// got the trial) is the infrastructure's failure, not the trial's: a kept
// process that died between trials (killed, out of memory) looks so. The
// error is then also trial.ErrLost, so the trial runs again without
// counting as failed.
func (p *Plugin) streamFailed(spec trial.Spec, err error, beforeStart, stopping bool) (trial.Result, error) {
	p.mu.Lock()
	killedByHost := errors.Is(p.broken, errKilled)
	p.mu.Unlock()
	code := status.Code(err)
	switch {
	case killedByHost:
		err = fmt.Errorf("%w: plugin %s was killed by its host during trial %v", trial.ErrLost, p.name, spec.Key)
	case code == codes.ResourceExhausted:
		err = fmt.Errorf("%w: plugin %s sent a message over the %d-byte limit during trial %v (%s)",
			ErrProtocol, p.name, p.cfg.MaxMessageSize, spec.Key, status.Convert(err).Message())
	case code == codes.Unavailable || code == codes.Canceled || errors.Is(err, io.EOF):
		if how, exited := p.waitExit(2*time.Second, stopping); exited {
			when := "during"
			if beforeStart {
				when = "before the start of"
			}
			err = fmt.Errorf("%w: plugin %s (pid %d) died %s trial %v: %s; %s", ErrCrashed, p.name, p.pid, when, spec.Key, how, p.crashNote())
			probe.Get().PluginCrashed(p.kind())
			break
		}
		fallthrough
	default:
		err = fmt.Errorf("%w: plugin %s, trial %v: %v", ErrProtocol, p.name, spec.Key, err)
	}
	if beforeStart && !killedByHost && code != codes.ResourceExhausted {
		err = fmt.Errorf("%w: the trial could not start: %w", trial.ErrLost, err)
	}
	p.markBroken(err)
	p.Kill()
	return failed(trial.Result{}, err)
}

func (p *Plugin) crashNote() string {
	if s := crashExcerpt(p.stderr.String()); s != "" {
		return s
	}
	return "it wrote nothing to stderr"
}

// waitExit polls, for up to d, for the process's exit, and says how it
// ended (see proc.Describe). go-plugin reports an exit only once the
// process's output is drained, which the crash message needs, so that is
// waited for; a process whose output stays open (a descendant holds it)
// is known dead by its zombie's status in /proc.
func (p *Plugin) waitExit(d time.Duration, stopping bool) (string, bool) {
	deadline := time.Now().Add(d)
	for !p.client.Exited() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if p.client.Exited() {
		if ps := p.cmd.ProcessState; ps != nil {
			if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
				return proc.Describe(ws, stopping), true
			}
			return ps.String(), true
		}
		return "exited", true
	}
	if ws, ok := proc.ExitStatus(p.pid); ok {
		return proc.Describe(ws, stopping), true
	}
	return "", false
}
