package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"automl/plugins/internal/proc"
	"automl/plugins/internal/trainerpb"
	"automl/trial"
)

// Serve runs runner as a plugin process and returns when the host closes
// the connection. Call it first in main: the handshake travels on stdout,
// so nothing may print to stdout before it. Run directly rather than by a
// host, the binary says it is a plugin and exits with status 1.
//
// Each trial is one Run call on runner, one at a time per process in
// practice (a host slot runs trials in sequence), but runner must not
// assume it: keep per-trial state inside Run. The ctx given to Run is
// cancelled when the host stops the trial or goes away; a Report made
// after that returns trial.Stop.
//
// The process becomes a child subreaper (Linux): a program a trial starts
// that is orphaned (its parent exited; it may have left its session) stays
// below the plugin process, where the host's sweep at the trial's end
// finds and kills it; the plugin reaps such orphans while no trial runs.
// So a runner must wait for every child it starts before Run returns (as
// os/exec's Wait does): none may outlive its trial.
func Serve(runner trial.Runner) {
	reaper := proc.Adopt()
	// go-plugin replaces os.Stdout and os.Stderr with its stdio stream;
	// the process's own stderr (a panic's, the log package's) is read by
	// the host too, and each trial's end is marked on all of them.
	stderr := os.Stderr
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         plugin.PluginSet{pluginName: &grpcPlugin{runner: runner, reaper: reaper, stderr: stderr}},
		GRPCServer:      plugin.DefaultGRPCServer,
		// go-plugin logs to stderr, which the host keeps for crash
		// messages: errors only, so the tail is the trainer's own output.
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr, JSONFormat: true}),
	})
}

// server is the plugin side of the trainer service.
type server struct {
	trainerpb.UnimplementedTrainerServer
	runner trial.Runner
	reaper *proc.Reaper // nil: not a subreaper
	stderr io.Writer    // the process's own stderr
}

func (s *server) Run(stream trainerpb.Trainer_RunServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	start := first.GetStart()
	if start == nil {
		return status.Error(codes.InvalidArgument, "the first message of a trial must be Start")
	}
	var spec trial.Spec
	if err := json.Unmarshal(start.GetSpecJson(), &spec); err != nil {
		return status.Errorf(codes.InvalidArgument, "decode spec: %v", err)
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	rep := &streamReporter{stream: stream, ctx: ctx, directives: make(chan bool, 1)}
	go rep.receive(cancel)
	rep.startLog()
	s.reaper.Busy()
	defer s.reaper.Idle()
	res, runErr := s.runner.Run(ctx, spec, rep)
	rep.closeLog()
	result := resultToProto(res, runErr)
	result.LogMarked = s.markEnd(start.GetLogMarker())
	return rep.send(&trainerpb.PluginMessage{Msg: &trainerpb.PluginMessage_Result{Result: result}})
}

// markEnd writes the host's end-of-trial marker on every output the host
// reads (see output in output.go), after all the trial wrote.
func (s *server) markEnd(marker string) bool {
	if marker == "" {
		return false
	}
	for _, w := range []io.Writer{os.Stdout, os.Stderr, s.stderr} {
		if w != nil {
			fmt.Fprintln(w, marker)
		}
	}
	return true
}

// streamReporter sends reports on the stream and waits for each directive.
type streamReporter struct {
	stream     trainerpb.Trainer_RunServer
	ctx        context.Context
	directives chan bool // stop?
	sendMu     sync.Mutex
	log        logQueue
}

// receive routes the host's messages until the stream ends: directives to
// the waiting Report, Cancel (or the end of the stream) to the trial's ctx.
func (r *streamReporter) receive(cancel context.CancelFunc) {
	defer cancel()
	for {
		m, err := r.stream.Recv()
		if err != nil {
			return
		}
		switch x := m.GetMsg().(type) {
		case *trainerpb.HostMessage_Directive:
			select {
			case r.directives <- x.Directive.GetStop():
			default: // a directive nobody asked for: ignore it
			}
		case *trainerpb.HostMessage_Cancel:
			return
		}
	}
}

func (r *streamReporter) send(m *trainerpb.PluginMessage) error {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	return r.stream.Send(m)
}

// Report sends metrics to the host and returns its directive. Once the
// trial is cancelled it returns trial.Stop without asking.
func (r *streamReporter) Report(ctx context.Context, step float64, metrics trial.Metrics) (trial.Directive, error) {
	if r.ctx.Err() != nil {
		return trial.Stop, nil
	}
	err := r.send(&trainerpb.PluginMessage{Msg: &trainerpb.PluginMessage_Report{Report: &trainerpb.Report{Step: step, Metrics: metrics}}})
	if err != nil {
		if r.ctx.Err() != nil {
			return trial.Stop, nil
		}
		return trial.Continue, fmt.Errorf("send report: %w", err)
	}
	answer := func(stop bool) (trial.Directive, error) {
		if stop {
			return trial.Stop, nil
		}
		return trial.Continue, nil
	}
	select {
	case stop := <-r.directives:
		return answer(stop)
	case <-r.ctx.Done():
	case <-ctx.Done():
	}
	// The host's answer may have come just before its cancel: select picks
	// among ready cases at random, and the answer wins.
	select {
	case stop := <-r.directives:
		return answer(stop)
	default:
	}
	if r.ctx.Err() != nil {
		return trial.Stop, nil
	}
	return trial.Continue, ctx.Err()
}
