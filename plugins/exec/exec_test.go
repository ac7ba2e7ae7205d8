package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"automl/internal/cause"
	"automl/plugins"
	"automl/plugins/internal/proc"
	"automl/search/value"
	"automl/trial"
	"automl/trial/triallog"
)

// syncBuffer is a log sink safe for the runner's two readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type reporter struct {
	mu     sync.Mutex
	steps  []float64
	got    []trial.Metrics
	decide func(step float64) trial.Directive
}

func (r *reporter) Report(_ context.Context, step float64, m trial.Metrics) (trial.Directive, error) {
	r.mu.Lock()
	r.steps = append(r.steps, step)
	r.got = append(r.got, m)
	r.mu.Unlock()
	if r.decide != nil {
		return r.decide(step), nil
	}
	return trial.Continue, nil
}

func shSpec(script string, args ...any) trial.Spec {
	cmd := append([]any{"sh", "-c", script, "sh"}, args...)
	return trial.Spec{
		Key:     trial.Key{Study: "st", ID: 4, Attempt: 1},
		Trainer: trial.Trainer{Plugin: "exec", Config: map[string]any{"command": cmd}},
		Params: value.Values{
			{Name: "lr", Value: value.Float(0.25)},
			{Name: "opt", Value: value.String("adam")},
		},
		Resource: "epochs", From: 2, To: 5, Seed: 9,
	}
}

func run(t *testing.T, ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error, string) {
	t.Helper()
	var log syncBuffer
	r := &Runner{Log: &log, Env: os.Environ()}
	res, err := r.Run(ctx, spec, rep)
	return res, err, log.String()
}

func TestParamsReachTheProgram(t *testing.T) {
	spec := shSpec(`echo "{\"step\": $2, \"lr\": $1}"
cat "$AUTOML_PARAMS"; echo
echo "json=$AUTOML_PARAMS_JSON"
echo "span=$AUTOML_RESOURCE_FROM..$AUTOML_RESOURCE_TO of $AUTOML_RESOURCE trial=$AUTOML_TRIAL_ID study=$AUTOML_STUDY seed=$AUTOML_SEED"
echo "ckpt=$AUTOML_CHECKPOINT_DIR" >&2
echo "cfg=$MY_VAR"`, "{lr}", "{epochs}")
	spec.CheckpointDir = filepath.Join(t.TempDir(), "ckpt")
	spec.Trainer.Config["env"] = map[string]any{"MY_VAR": "opt-{opt}"}
	rep := &reporter{}
	res, err, log := run(t, context.Background(), spec, rep)
	if err != nil {
		t.Fatal(err, log)
	}
	if res.Outcome != trial.ExitDone || res.Step != 5 || res.Metrics["lr"] != 0.25 {
		t.Errorf("result %+v, want done at step 5 with lr 0.25", res)
	}
	if res.Checkpoint != "" {
		t.Errorf("checkpoint %q for an empty checkpoint dir", res.Checkpoint)
	}
	for _, want := range []string{
		`{"lr":0.25,"opt":"adam"}`,
		`json={"lr":0.25,"opt":"adam"}`,
		"span=2..5 of epochs trial=4 study=st seed=9",
		"ckpt=" + spec.CheckpointDir,
		"cfg=opt-adam",
	} {
		if !strings.Contains(log, want+"\n") {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, `"step"`) {
		t.Errorf("a metric line went to the log:\n%s", log)
	}
}

func TestMetricLinesAreReported(t *testing.T) {
	spec := shSpec(`echo starting
echo '{"step": 3, "val_loss": 0.5, "acc": 0.75}'
echo '{"val_loss": 0.25}'
echo '{"note": "not a metric"}'
echo '{"step": 7, "val_loss": 0.125}'`)
	rep := &reporter{}
	res, err, log := run(t, context.Background(), spec, rep)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{3, 4, 7}; fmt.Sprint(rep.steps) != fmt.Sprint(want) {
		t.Errorf("steps %v, want %v", rep.steps, want)
	}
	if res.Step != 7 || res.Metrics["val_loss"] != 0.125 || res.Metrics["acc"] != 0.75 {
		t.Errorf("result %+v: want step 7, the latest val_loss and acc", res)
	}
	want := "starting\n{\"note\": \"not a metric\"}\n" + plugins.WarningPrefix +
		`trial st/4/1: sh printed a line that looks like a metric line but is not one, so it is kept as log: {"note": "not a metric"}: "note" is a string ("not a metric"), not a number (warned once per trial)` + "\n"
	if log != want {
		t.Errorf("log\n%s\nwant\n%s", log, want)
	}
}

// Lines that look like metric lines but do not parse are warned about
// once per trial, with the line and why; the run goes on, and when no line
// parsed at all the failure says which line looked like one.
func TestMalformedMetricLinesAreWarnedOnce(t *testing.T) {
	spec := shSpec(`echo '{"val_loss": "abc"}'
echo '{"step": 2, "val_loss": "NaN"}'
echo "{'val_loss': 0.5}"`)
	res, err, log := run(t, context.Background(), spec, &reporter{})
	if !errors.Is(err, trial.ErrNoMetrics) || res.Outcome != trial.ExitCrashed {
		t.Fatalf("result %+v, error %v; want no metrics", res, err)
	}
	if n := strings.Count(log, plugins.WarningPrefix); n != 1 {
		t.Errorf("%d warnings, want 1 per trial:\n%s", n, log)
	}
	if w := `{"val_loss": "abc"}: "val_loss" is a string ("abc"), not a number`; !strings.Contains(log, plugins.WarningPrefix+"trial st/4/1: sh printed a line that looks like a metric line") || !strings.Contains(log, w) {
		t.Errorf("the warning lacks the trial, the line or why (%q):\n%s", w, log)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if !strings.Contains(first, `3 lines looked like one but were not, the first: {"val_loss": "abc"}: "val_loss" is a string`) {
		t.Errorf("the failure does not say which line looked like a metric line: %s", first)
	}
}

func TestFailureQuotesTheLastLogLines(t *testing.T) {
	spec := shSpec(`i=1; while [ $i -le 60 ]; do echo "line $i"; i=$((i+1)); done; exit 3`)
	res, err, _ := run(t, context.Background(), spec, &reporter{})
	if err == nil || res.Outcome != trial.ExitCrashed {
		t.Fatalf("result %+v, error %v; want a failure", res, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "exited with status 3") || !strings.Contains(msg, "line 60") || !strings.Contains(msg, "line 11\n") || strings.Contains(msg, "line 10\n") {
		t.Errorf("error does not hold exactly the last 50 log lines:\n%s", msg)
	}
	if errors.Is(err, trial.ErrNoMetrics) {
		t.Error("a failed exit is not ErrNoMetrics")
	}
}

// A failure's first line names its cause: a Python traceback's exception
// line from stderr, however much the program printed to stdout after it;
// the lines under it are stderr's last lines.
func TestFailureNamesThePythonError(t *testing.T) {
	spec := shSpec(`echo "epoch 1"
printf 'Traceback (most recent call last):\n  File "/w/train.py", line 2, in <module>\n    import torch\nModuleNotFoundError: No module named %s\n' "'torch'" >&2
i=1; while [ $i -le 80 ]; do echo "progress $i"; i=$((i+1)); done
exit 1`)
	_, err, _ := run(t, context.Background(), spec, &reporter{})
	if err == nil {
		t.Fatal("want a failure")
	}
	first, rest, _ := strings.Cut(err.Error(), "\n")
	if want := "exec: sh exited with status 1: ModuleNotFoundError: No module named 'torch'"; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
	if !strings.HasPrefix(rest, "its stderr ends:\nTraceback (most recent call last):") || strings.Contains(rest, "progress") {
		t.Errorf("the lines under it are not stderr's:\n%s", rest)
	}
	if got := cause.Of("trial st/4/1: " + err.Error()); got != first {
		t.Errorf("cause %q, want the first line", got)
	}
}

func TestNoMetricsIsItsOwnOutcome(t *testing.T) {
	res, err, _ := run(t, context.Background(), shSpec(`echo trained but said nothing`), &reporter{})
	if !errors.Is(err, trial.ErrNoMetrics) || res.Outcome == trial.ExitDone || !strings.Contains(err.Error(), "trained but said nothing") {
		t.Fatalf("result %+v, error %v; want ErrNoMetrics, not done", res, err)
	}
}

// pidsOf reads "pids A B" from a log.
func pidsOf(t *testing.T, log string) []int {
	for _, line := range strings.Split(log, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "pids" {
			a, _ := strconv.Atoi(f[1])
			b, _ := strconv.Atoi(f[2])
			return []int{a, b}
		}
	}
	t.Fatalf("no pids in log %q", log)
	return nil
}

// The program and its background grandchild die when the trial stops, is
// pruned or times out, and when it exits on its own.
func TestProcessGroupKilledWhole(t *testing.T) {
	const script = `%s sleep 1000 & echo "pids $$ $!"; echo '{"step": 1, "loss": 1}'; %s`
	for _, tc := range []struct {
		name, head, tail string
		timeout          string
		prune            bool
		cancel           bool
		outcome          trial.Outcome
		err              string
	}{
		{name: "stop", tail: "wait", cancel: true, outcome: trial.ExitAborted},
		{name: "prune", tail: "wait", prune: true, outcome: trial.ExitPruned},
		{name: "timeout", tail: "wait", timeout: "1s", outcome: trial.ExitCrashed, err: "timed out after 1s"},
		{name: "ignores SIGTERM", head: "trap '' TERM;", tail: "while :; do sleep 0.05; done", cancel: true, outcome: trial.ExitAborted},
		{name: "exits leaving a child", tail: "exit 0", outcome: trial.ExitDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := shSpec(fmt.Sprintf(script, tc.head, tc.tail))
			if tc.timeout != "" {
				spec.Trainer.Config["timeout"] = tc.timeout
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rep := &reporter{decide: func(float64) trial.Directive {
				if tc.cancel {
					cancel()
				}
				if tc.prune {
					return trial.Stop
				}
				return trial.Continue
			}}
			start := time.Now()
			res, err, log := run(t, ctx, spec, rep)
			if tc.head != "" && time.Since(start) < stopGrace {
				t.Errorf("a program ignoring SIGTERM stopped after %v, before the %v grace", time.Since(start), stopGrace)
			}
			if res.Outcome != tc.outcome || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("result %+v, error %v; want %v %q", res, err, tc.outcome, tc.err)
			}
			pids := pidsOf(t, log)
			deadline := time.Now().Add(5 * time.Second)
			for (proc.Alive(pids[0]) || proc.Alive(pids[1]) || len(proc.GroupMembers(pids[0])) > 0) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if proc.Alive(pids[0]) || proc.Alive(pids[1]) || len(proc.GroupMembers(pids[0])) > 0 {
				t.Fatalf("processes of the group survived: %v", proc.GroupMembers(pids[0]))
			}
		})
	}
}

func TestNonFiniteMetricFailsTheRun(t *testing.T) {
	res, err, _ := run(t, context.Background(), shSpec(`echo '{"step": 1, "loss": NaN}'; sleep 1000`), &reporter{})
	if err == nil || res.Outcome != trial.ExitCrashed || !strings.Contains(err.Error(), `metric "loss" = NaN at step 1`) {
		t.Fatalf("result %+v, error %v", res, err)
	}
}

func TestCheckpointDirIsReturned(t *testing.T) {
	spec := shSpec(`echo w > "$AUTOML_CHECKPOINT_DIR/model.pt"; echo '{"loss": 1}'`)
	spec.CheckpointDir = filepath.Join(t.TempDir(), "c")
	res, err, _ := run(t, context.Background(), spec, &reporter{})
	if err != nil || res.Checkpoint != spec.CheckpointDir {
		t.Fatalf("result %+v, error %v; want checkpoint %s", res, err, spec.CheckpointDir)
	}
}

func TestHugeLineDoesNotBlock(t *testing.T) {
	spec := shSpec(`head -c 300000 /dev/zero | tr '\0' x; echo; echo '{"loss": 2}'`)
	res, err, log := run(t, context.Background(), spec, &reporter{})
	if err != nil || res.Metrics["loss"] != 2 {
		t.Fatalf("result %+v, error %v", res, err)
	}
	if n := len(strings.TrimSpace(log)); n != maxLineBytes {
		t.Errorf("logged a %d-byte line, want it cut to %d", n, maxLineBytes)
	}
}

func TestStartErrors(t *testing.T) {
	spec := shSpec("")
	spec.Trainer.Config = map[string]any{"command": []any{"no-such-program-xyz"}}
	if _, err, _ := run(t, context.Background(), spec, &reporter{}); err == nil || !strings.Contains(err.Error(), "no-such-program-xyz") {
		t.Errorf("missing program: %v", err)
	}
	spec.Trainer.Config = map[string]any{"command": []any{"echo", "{momentum}"}}
	if _, err, _ := run(t, context.Background(), spec, &reporter{}); err == nil || !strings.Contains(err.Error(), "no value for {momentum}") {
		t.Errorf("absent placeholder: %v", err)
	}
}

func TestParseMetrics(t *testing.T) {
	for _, tc := range []struct {
		line    string
		ok      bool
		step    float64
		hasStep bool
		m       trial.Metrics
	}{
		{`{"step": 3, "val_loss": 0.41}`, true, 3, true, trial.Metrics{"val_loss": 0.41}},
		{`  {"a": 1e-3, "b": -2}  `, true, 0, false, trial.Metrics{"a": 0.001, "b": -2}},
		{`{"loss": NaN, "x": Infinity, "y": -Infinity}`, true, 0, false, trial.Metrics{"loss": math.NaN(), "x": math.Inf(1), "y": math.Inf(-1)}},
		{`{"msg": "NaN"}`, false, 0, false, nil},
		{`{"step": 1}`, false, 0, false, nil},
		{`{"a": true}`, false, 0, false, nil},
		{`{"a": {"b": 1}}`, false, 0, false, nil},
		{`{"a": 1} {"b": 2}`, false, 0, false, nil},
		{`epoch 3 loss 0.4`, false, 0, false, nil},
		{`{}`, false, 0, false, nil},
		{`{"a": 1,}`, false, 0, false, nil},
	} {
		step, hasStep, m, ok, _ := parseMetrics(tc.line)
		if ok != tc.ok || step != tc.step || hasStep != tc.hasStep || len(m) != len(tc.m) {
			t.Errorf("%s: got %v %v %v %v", tc.line, step, hasStep, m, ok)
			continue
		}
		for k, v := range tc.m {
			if got := m[k]; got != v && !(math.IsNaN(got) && math.IsNaN(v)) {
				t.Errorf("%s: %s = %v, want %v", tc.line, k, got, v)
			}
		}
	}
}

// Why a line that looks like a metric line is not one, for the warning.
func TestMalformedMetricReasons(t *testing.T) {
	for _, tc := range []struct{ line, why string }{
		{`{"val_loss": "abc"}`, `"val_loss" is a string ("abc"), not a number`},
		{`{"val_loss": "NaN"}`, `"val_loss" is a string ("NaN"), not a number`},
		{`{'val_loss': 0.5}`, `names need double quotes (print json.dumps(metrics), not the dict itself)`},
		{`{"a": true}`, `"a" is true, not a number`},
		{`{"a": null, "b": 1}`, `"a" is null, not a number`},
		{`{"a": [1], "b": {"c": 1}}`, `"a" is a list, not a number`},
		{`{"b": {"c": 1}}`, `"b" is an object, not a number`},
		{`{"a": 1e999}`, `"a" is 1e999, out of the range of a float64`},
		{`{"step": 1}`, `it has no metric besides "step"`},
		{`{}`, `it has no metric`},
		{`{"a": 1} {"b": 2}`, `more than one JSON value`},
		{`{"a": 1,}`, `it is not JSON (`},
		{`epoch 3 loss 0.4`, ``},
		{`{"step": 3, "val_loss": 0.41}`, ``},
	} {
		_, _, _, _, bad := parseMetrics(tc.line)
		if (tc.why == "") != (bad == "") || !strings.Contains(bad, tc.why) {
			t.Errorf("%s: why %q, want %q", tc.line, bad, tc.why)
		}
	}
}

func TestTemplates(t *testing.T) {
	v := map[string]string{"lr": "0.01", "epochs": "9"}
	for _, tc := range []struct{ in, out, err string }{
		{"{lr}", "0.01", ""},
		{"--lr={lr}", "--lr=0.01", ""},
		{"{epochs}-{lr}", "9-0.01", ""},
		{`print({})`, `print({})`, ""},
		{`{"a": 1}`, `{"a": 1}`, ""},
		{"{1x}", "{1x}", ""},
		{"{missing}", "", "no value for {missing}"},
	} {
		got, err := expand(tc.in, v)
		if got != tc.out || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: got %q, %v", tc.in, got, err)
		}
	}
}

func TestLogKeepsTheLastMegabyte(t *testing.T) {
	l := &lineLog{}
	line := strings.Repeat("x", 1023)
	for i := range 3000 {
		l.add(fmt.Sprintf("%04d%s", i, line[4:]))
	}
	s := l.String()
	if len(s) > logBytes || len(s) < logBytes-2048 || !strings.HasSuffix(s, "2999"+line[4:]) {
		t.Errorf("kept %d bytes ending %q", len(s), s[len(s)-10:])
	}
	if got := strings.Count(l.last(errorLines), "\n"); got != errorLines-1 {
		t.Errorf("last(%d) has %d lines", errorLines, got+1)
	}
}

// sinkReporter keeps the trial's log, as a worker's reporter does.
type sinkReporter struct {
	reporter
	lines []triallog.Line
}

func (r *sinkReporter) AddLine(l triallog.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, l)
}

// Every line the program prints but its metric lines goes to the trial's
// log, with its stream and the time it was read, in the order printed on
// each stream; a warning about a malformed metric line does not.
func TestOutputGoesToTheTrialsLog(t *testing.T) {
	spec := shSpec(`echo out one; echo err one >&2; echo '{"step": 1, "loss": 0.5}'; echo '{"loss": oops}'; sleep 0.05; echo out two; echo err two >&2`)
	rep := &sinkReporter{}
	before := time.Now()
	res, err, hostLog := run(t, context.Background(), spec, rep)
	if err != nil || res.Metrics["loss"] != 0.5 {
		t.Fatalf("result %+v, error %v", res, err)
	}
	var out, errs []string
	for _, l := range rep.lines {
		if l.Time.Before(before) || l.Time.After(time.Now()) {
			t.Errorf("line %q stamped %v, outside the run", l.Text, l.Time)
		}
		switch l.Stream {
		case triallog.Stdout:
			out = append(out, l.Text)
		case triallog.Stderr:
			errs = append(errs, l.Text)
		}
	}
	if got := strings.Join(out, "|"); got != `out one|{"loss": oops}|out two` {
		t.Errorf("stdout lines %q", got)
	}
	if got := strings.Join(errs, "|"); got != "err one|err two" {
		t.Errorf("stderr lines %q", got)
	}
	if strings.Contains(hostLog, "out one") || !strings.Contains(hostLog, plugins.WarningPrefix) {
		t.Errorf("the host's writer got %q: want the warning alone", hostLog)
	}
}
