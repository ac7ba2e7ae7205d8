package natsbus_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus"
	"automl/trial"
)

// fleetServer runs nats-server in this process with the example fleet
// configuration (examples/fleet/nats-server.conf) on a fresh store.
func fleetServer(t *testing.T) string {
	t.Helper()
	t.Setenv("AUTOML_SCHEDULER_PASSWORD", "sched-pw")
	t.Setenv("AUTOML_GPU1_PASSWORD", "gpu1-pw")
	t.Setenv("AUTOML_GPU2_PASSWORD", "gpu2-pw")
	opts, err := natsserver.ProcessConfigFile(filepath.Join("..", "..", "examples", "fleet", "nats-server.conf"))
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if !opts.SyncAlways {
		t.Error("the example config does not fsync every message (sync_interval: always)")
	}
	opts.StoreDir, opts.Host, opts.Port, opts.HTTPPort = t.TempDir(), "127.0.0.1", -1, 0
	opts.NoSigs, opts.NoLog = true, true
	s, err := natsserver.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

func connectAs(t *testing.T, url string, c natsbus.Credentials) *nats.Conn {
	t.Helper()
	opts, err := c.Options()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := natsbus.Connect(url, c.User, quiet(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// The example fleet configuration lets a worker do its job (take jobs,
// report, save and resume checkpoints) and nothing else: it cannot queue a
// job, stop a study, or create, purge or delete a stream or a consumer.
func TestFleetConfigLeastPrivilege(t *testing.T) {
	url := fleetServer(t)
	ctx := context.Background()
	sched := connectAs(t, url, natsbus.Credentials{User: "scheduler", Password: "sched-pw"})
	worker := connectAs(t, url, natsbus.Credentials{User: "gpu1", Password: "gpu1-pw", InboxPrefix: natsbus.WorkerInbox("gpu1")})
	d := newDispatcher(t, sched, natsbus.DispatcherOptions{Pools: []string{trial.DefaultPool}})

	// The worker's whole job, checkpoints included, works with its rights.
	startWorker(t, worker, runFn(func(ctx context.Context, s trial.Spec, rep trial.Reporter) (trial.Result, error) {
		if s.Checkpoint != "" {
			b, err := os.ReadFile(filepath.Join(s.CheckpointDir, "ckpt"))
			if err != nil || string(b) != "rung 1" {
				return trial.Result{}, errors.Join(errors.New("checkpoint not restored"), err)
			}
			return trial.Result{Step: 2, Metrics: trial.Metrics{"loss": 0.5}}, nil
		}
		if _, err := rep.Report(ctx, 1, trial.Metrics{"loss": 1}); err != nil {
			return trial.Result{}, err
		}
		if err := os.WriteFile(filepath.Join(s.CheckpointDir, "ckpt"), []byte("rung 1"), 0o644); err != nil {
			return trial.Result{}, err
		}
		return trial.Result{Outcome: trial.ExitPaused, Step: 1, Metrics: trial.Metrics{"loss": 1}, Checkpoint: "ckpt"}, nil
	}), natsbus.WorkerOptions{Slots: 1, Name: "gpu1"})
	first := spec(1, 1)
	if err := d.Dispatch(ctx, []trial.Spec{first}); err != nil {
		t.Fatal(err)
	}
	res := exitOf(t, untilExited(t, d, first.Key)[first.Key]).Result
	if res.Outcome != trial.ExitPaused || res.Checkpoint == "" {
		t.Fatalf("first span under worker rights: %+v", res)
	}
	second := spec(1, 2)
	second.From, second.To, second.Checkpoint = 1, 2, res.Checkpoint
	if err := d.Dispatch(ctx, []trial.Spec{second}); err != nil {
		t.Fatal(err)
	}
	if res := exitOf(t, untilExited(t, d, second.Key)[second.Key]).Result; res.Outcome != trial.ExitDone {
		t.Fatalf("resumed span under worker rights: %+v", res)
	}
	if err := worker.LastError(); err != nil {
		t.Fatalf("the worker's own work hit a permission error: %v", err)
	}

	// Everything else is refused.
	wjs := js(t, worker)
	attempts := []struct {
		name, subject string // subject: the one refused
		do            func(ctx context.Context) error
	}{
		{"inject a trial", "automl.trials.default.s1.i1.99", func(ctx context.Context) error {
			_, err := wjs.Publish(ctx, "automl.trials.default."+study+"."+inc+".99", []byte(`{"key":{"study":"s1","incarnation":"i1","id":99,"attempt":1},"trainer":{"plugin":"funcs"}}`))
			return err
		}},
		{"report as another worker", "automl.events.s1.i1.1.gpu2", func(ctx context.Context) error {
			_, err := wjs.Publish(ctx, "automl.events."+study+"."+inc+".1.gpu2", []byte(`{}`))
			return err
		}},
		{"delete the jobs stream", "$JS.API.STREAM.DELETE.AUTOML_TRIALS", func(ctx context.Context) error { return wjs.DeleteStream(ctx, natsbus.TrialsStream) }},
		{"delete the events stream", "$JS.API.STREAM.DELETE.AUTOML_EVENTS", func(ctx context.Context) error { return wjs.DeleteStream(ctx, natsbus.EventsStream) }},
		{"create a stream", "$JS.API.STREAM.CREATE.EVIL", func(ctx context.Context) error {
			_, err := wjs.CreateStream(ctx, jetstream.StreamConfig{Name: "EVIL", Subjects: []string{"evil.>"}})
			return err
		}},
		{"purge the jobs", "$JS.API.STREAM.PURGE.AUTOML_TRIALS", func(ctx context.Context) error {
			_, err := worker.RequestWithContext(ctx, "$JS.API.STREAM.PURGE.AUTOML_TRIALS", nil)
			return err
		}},
		{"delete the pool's consumer", "$JS.API.CONSUMER.DELETE.AUTOML_TRIALS.workers-default", func(ctx context.Context) error {
			return wjs.DeleteConsumer(ctx, natsbus.TrialsStream, natsbus.WorkerConsumer(trial.DefaultPool))
		}},
		{"stop the study", "automl.requests.s1", func(ctx context.Context) error {
			_, err := natsbus.RequestControl(ctx, worker, study, []byte(`{"op":"stop"}`))
			return err
		}},
	}
	for _, a := range attempts {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		err := a.do(actx)
		cancel()
		if err == nil {
			t.Errorf("worker could %s", a.name)
			continue
		}
		if last := worker.LastError(); last == nil || !strings.Contains(last.Error(), "Permissions Violation for Publish to \""+a.subject+"\"") {
			t.Errorf("%s failed with %v, not for want of permission to publish to %s (last async error %v)", a.name, err, a.subject, last)
		}
	}
	for _, name := range []string{natsbus.TrialsStream, natsbus.EventsStream} {
		if _, err := js(t, sched).Stream(ctx, name); err != nil {
			t.Errorf("stream %s after the worker's attempts: %v", name, err)
		}
	}
	if n := streamMsgs(t, sched, natsbus.TrialsStream); n != 0 {
		t.Errorf("the jobs stream holds %d messages: the worker injected one", n)
	}
}
