package plugins_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"automl/plugins"
	"automl/search/value"
	"automl/trial"
)

func TestRunCarriesSpecAndResult(t *testing.T) {
	p := open(t, builtinConfig(t, "t-echo"))
	s := spec("t-echo", 7, param("lr", value.Float(0.125)), param("layers", value.Int(3)), param("opt", value.String("adam")))
	s.To = 9
	res, err := p.Run(context.Background(), s, &reporter{})
	if err != nil {
		t.Fatal(err)
	}
	want := trial.Metrics{"pid": float64(p.Pid()), "id": 7, "lr": 0.125, "layers": 3}
	if res.Outcome != trial.ExitDone || res.Step != 9 || len(res.Metrics) != len(want) {
		t.Fatalf("result %+v, want done at 9 with %v", res, want)
	}
	for k, v := range want {
		if res.Metrics[k] != v {
			t.Errorf("metric %s = %v, want %v", k, res.Metrics[k], v)
		}
	}
}

func TestReportsStreamAndCarryTheDirective(t *testing.T) {
	p := open(t, builtinConfig(t, "t-steps"))
	s := spec("t-steps", 1)
	s.To = 10
	rep := &reporter{decide: func(step float64, _ trial.Metrics) trial.Directive {
		if step >= 3 {
			return trial.Stop
		}
		return trial.Continue
	}}
	res, err := p.Run(context.Background(), s, rep)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.steps, []float64{1, 2, 3}) {
		t.Errorf("reported steps %v, want [1 2 3]", rep.steps)
	}
	if rep.metrics[1]["loss"] != 0.5 {
		t.Errorf("step 2 metrics %v, want loss 0.5", rep.metrics[1])
	}
	if res.Outcome != trial.ExitPruned || res.Step != 3 {
		t.Errorf("result %+v, want pruned at step 3", res)
	}
	if !p.Healthy() {
		t.Error("a pruned trial left the plugin unhealthy")
	}
}

func TestErrorsKeepTheirSentinel(t *testing.T) {
	p := open(t, builtinConfig(t, "t-errors"))
	for _, tc := range []struct {
		kind string
		is   error
		msg  string
	}{
		{"lost", trial.ErrLost, "the GPU fell off the bus: lost"},
		{"nometrics", trial.ErrNoMetrics, "the script printed nothing: no metrics"},
		{"plain", nil, "plain failure"},
	} {
		_, err := p.Run(context.Background(), spec("t-errors", 1, param("kind", value.String(tc.kind))), &reporter{})
		if err == nil || err.Error() != tc.msg {
			t.Errorf("%s: error %v, want %q", tc.kind, err, tc.msg)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: error %v does not wrap %v", tc.kind, err, tc.is)
		}
		if tc.is == nil && (errors.Is(err, trial.ErrLost) || errors.Is(err, trial.ErrNoMetrics)) {
			t.Errorf("%s: plain error %v wraps a sentinel", tc.kind, err)
		}
	}
	if !p.Healthy() {
		t.Error("a trainer error left the plugin unhealthy")
	}
}

// Cancelling the host's ctx cancels the plugin's: the trainer returns
// promptly, its result comes back, and the process can be reused.
func TestCancelStopsTraining(t *testing.T) {
	p := open(t, builtinConfig(t, "t-steps"))
	s := spec("t-steps", 1, param("sleep_ms", value.Int(20)))
	s.To = 1e6
	ctx, cancel := context.WithCancel(context.Background())
	rep := &reporter{decide: func(step float64, _ trial.Metrics) trial.Directive {
		if step == 2 {
			cancel()
		}
		return trial.Continue
	}}
	start := time.Now()
	res, err := p.Run(ctx, s, rep)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != trial.ExitAborted || res.Step < 2 {
		t.Errorf("result %+v, want aborted at step >= 2", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled trial took %v", d)
	}
	if !p.Healthy() {
		t.Fatal("plugin unhealthy after a cooperative stop")
	}
	again := spec("t-steps", 2)
	again.To = 2
	if _, err := p.Run(context.Background(), again, &reporter{}); err != nil {
		t.Errorf("reuse after a stop: %v", err)
	}
}

func TestEnvironmentIsAnAllowlist(t *testing.T) {
	t.Setenv("NATS_PASSWORD", "hunter2")
	t.Setenv("NATS_CREDS", "/etc/automl/worker.creds")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "xyz")
	cfg := builtinConfig(t, "t-env")
	cfg.Env = plugins.BaseEnv("EXTRA=1", "CUDA_VISIBLE_DEVICES=7")
	cfg.GPUs = []string{"1", "3"}
	p := open(t, cfg)
	res, err := p.Run(context.Background(), spec("t-env", 1), &reporter{})
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(res.Checkpoint, "\n")
	for _, kv := range env {
		if strings.HasPrefix(kv, "NATS_") || strings.HasPrefix(kv, "AWS_") {
			t.Errorf("host secret leaked into the plugin: %s", kv)
		}
	}
	for _, want := range []string{"CUDA_VISIBLE_DEVICES=1,3", "EXTRA=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("plugin env lacks %s", want)
		}
	}
	if slices.Contains(env, "CUDA_VISIBLE_DEVICES=7") {
		t.Error("GPUs did not replace CUDA_VISIBLE_DEVICES from Env")
	}
}

// Outside a plugin, TrainerEnv is the allowlist; inside, the plugin's own
// environment less go-plugin's handshake variables.
func TestTrainerEnv(t *testing.T) {
	t.Setenv("NATS_TOKEN", "s3cret")
	for _, kv := range plugins.TrainerEnv() {
		if strings.HasPrefix(kv, "NATS_") {
			t.Errorf("TrainerEnv outside a plugin passes %s", kv)
		}
	}
	p := open(t, builtinConfig(t, "exec"))
	s := spec("exec", 1)
	s.Trainer.Config = map[string]any{"command": []any{"sh", "-c", `env | grep -c -E '^(PLUGIN_|AUTOML_PLUGIN_COOKIE)' | sed 's/.*/{"handshake_vars": &}/'`}}
	res, err := p.Run(context.Background(), s, &reporter{})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := res.Metrics["handshake_vars"]; !ok || n != 0 {
		t.Errorf("the exec program saw %v go-plugin handshake variables, want 0", n)
	}
}
