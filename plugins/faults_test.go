package plugins_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"automl/plugins"
	"automl/plugins/internal/proc"
	"automl/search/value"
	"automl/trial"
)

// A panic fails the trial with the panic's message; the slot runs the next
// trial in a fresh process.
func TestPanicFailsTheTrialNotTheSlot(t *testing.T) {
	rec := probeLaunches(t)
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t), StopGrace: 300 * time.Millisecond})
	defer slot.Close()
	if _, err := slot.Run(context.Background(), spec("t-echo", 1), &reporter{}); err != nil {
		t.Fatal(err)
	}
	first := slot.Pid()
	_, err := slot.Run(context.Background(), spec("t-echo", 2, param("panic", value.Bool(true))), &reporter{})
	if !errors.Is(err, plugins.ErrCrashed) || !strings.Contains(err.Error(), "panic: boom in trial 2") {
		t.Fatalf("error %v, want ErrCrashed with the panic message", err)
	}
	if errors.Is(err, trial.ErrLost) {
		t.Error("a panic is the trainer's failure, not lost")
	}
	assertSessionGone(t, first)
	res, err := slot.Run(context.Background(), spec("t-echo", 3), &reporter{})
	if err != nil {
		t.Fatalf("trial after the panic: %v", err)
	}
	if pid := int(res.Metrics["pid"]); pid == first || pid != slot.Pid() {
		t.Errorf("trial after the panic ran in pid %d (crashed: %d, slot: %d), want a fresh process", pid, first, slot.Pid())
	}
	// the metrics: a built-in trainer is named by its name
	if launched, crashed := rec.counts("t-echo"); launched < 2 || crashed != 1 {
		t.Errorf("probe: %d launches, %d crashes of t-echo; want at least 2 and 1 (all: %v)", launched, crashed, rec.launched)
	}
}

// A hung plugin (spinning, blocked, or SIGSTOPped) is killed, with its
// whole session, when the trial's timeout passes.
func TestTimeoutKillsAHungPlugin(t *testing.T) {
	for _, tc := range []struct {
		name, plugin string
		sigstop      bool
	}{
		{"infinite loop", "t-loop", false},
		{"blocked forever", "t-block", false},
		{"SIGSTOPped", "t-wait", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := open(t, builtinConfig(t, tc.plugin))
			s := spec(tc.plugin, 1)
			s.Trainer.Timeout = time.Second
			rep := &reporter{decide: func(float64, trial.Metrics) trial.Directive {
				if tc.sigstop {
					syscall.Kill(p.Pid(), syscall.SIGSTOP)
				}
				return trial.Continue
			}}
			start := time.Now()
			res, err := p.Run(context.Background(), s, rep)
			if !errors.Is(err, plugins.ErrTimeout) || res.Outcome != trial.ExitCrashed {
				t.Fatalf("result %+v, error %v; want crashed with ErrTimeout", res, err)
			}
			if !strings.Contains(err.Error(), "killed") {
				t.Errorf("error %q does not say the session was killed", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("timed-out trial took %v", d)
			}
			if rep.count() != 1 {
				t.Errorf("%d reports, want 1 (the trial had started)", rep.count())
			}
			assertSessionGone(t, p.Pid())
			if p.Healthy() {
				t.Error("a killed plugin says it is healthy")
			}
		})
	}
}

// The exec trainer's program starts a grandchild; stopping the trial (and
// killing the plugin) leaves no descendant alive.
func TestStopLeavesNoDescendant(t *testing.T) {
	script := `sleep 1000 & echo '{"step": 1, "loss": 0.5}'; wait`
	for _, how := range []string{"stop", "kill"} {
		t.Run(how, func(t *testing.T) {
			p := open(t, builtinConfig(t, "exec"))
			s := spec("exec", 1)
			s.Trainer.Config = map[string]any{"command": []any{"sh", "-c", script}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var during []int
			rep := &reporter{decide: func(float64, trial.Metrics) trial.Directive {
				during = others(p.Pid())
				if how == "stop" {
					cancel()
				} else {
					go p.Kill()
				}
				return trial.Continue
			}}
			_, err := p.Run(ctx, s, rep)
			if len(during) < 2 { // sh and sleep
				t.Fatalf("during the trial the session held %v besides the plugin, want sh and sleep", during)
			}
			if how == "stop" {
				if err != nil {
					t.Fatalf("stop: %v", err)
				}
				eventually(t, 5*time.Second, "a descendant survived the stop", func() bool { return len(others(p.Pid())) == 0 })
				p.Kill()
			} else if !errors.Is(err, trial.ErrLost) {
				t.Errorf("trial on a killed plugin: error %v, want ErrLost", err)
			}
			assertSessionGone(t, p.Pid())
			for _, pid := range during {
				if alive(pid) {
					t.Errorf("descendant %d survived", pid)
				}
			}
		})
	}
}

func TestStdoutBeforeHandshake(t *testing.T) {
	cfg := builtinConfig(t, "t-noisy")
	p, err := plugins.Open(cfg)
	if err == nil {
		p.Kill()
		t.Fatal("a plugin printing to stdout before the handshake opened")
	}
	for _, want := range []string{cfg.Path, `"loading weights from /models/big.bin"`, "before the handshake"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %s", err, want)
		}
	}
	if !errors.Is(err, plugins.ErrHandshake) {
		t.Errorf("error %v does not wrap ErrHandshake", err)
	}
}

// A bad binary is refused before anything runs: each candidate would leave
// a marker file if it ran.
func TestBadBinaryRefusedBeforeLaunch(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	script := "#!/bin/sh\ntouch " + marker + "\n"
	write := func(name string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(script), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	noexec := write("noexec", 0o644)
	pinned := write("pinned", 0o755)
	sum := sha256.Sum256([]byte(script))
	wrong := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, path, pin, want string
	}{
		{"missing", filepath.Join(dir, "nope"), "", "no such file"},
		{"directory", dir, "", "not a regular file"},
		{"not executable", noexec, "", "not executable"},
		{"checksum mismatch", pinned, wrong, "checksum mismatch: its sha256 is " + hex.EncodeToString(sum[:]) + ", trainer.sha256 pins " + wrong},
		{"malformed pin", pinned, "abc", "want 64 hexadecimal digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plugins.Open(plugins.Config{Path: tc.path, SHA256: tc.pin})
			if !errors.Is(err, plugins.ErrBinary) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("error %v, want ErrBinary naming %s and saying %q", err, tc.path, tc.want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the binary ran")
			}
		})
	}
}

// A pinned binary that matches runs (from its verified private copy).
func TestPinnedBinaryRuns(t *testing.T) {
	cfg := builtinConfig(t, "t-echo")
	f, err := os.Open(cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	io.Copy(h, f)
	f.Close()
	cfg.SHA256 = hex.EncodeToString(h.Sum(nil))
	p := open(t, cfg)
	if _, err := p.Run(context.Background(), spec("t-echo", 1), &reporter{}); err != nil {
		t.Fatal(err)
	}
}

// A report over the size cap fails the trial with a clear error; the host
// is unharmed and the slot's next trial runs.
func TestOversizedReportRejected(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t), MaxMessageSize: 64 << 10})
	defer slot.Close()
	res, err := slot.Run(context.Background(), spec("t-big", 1), &reporter{})
	if !errors.Is(err, plugins.ErrProtocol) || !strings.Contains(err.Error(), "over the 65536-byte limit") || res.Outcome != trial.ExitCrashed {
		t.Fatalf("result %+v, error %v; want crashed with ErrProtocol over the limit", res, err)
	}
	if _, err := slot.Run(context.Background(), spec("t-echo", 2), &reporter{}); err != nil {
		t.Fatalf("next trial: %v", err)
	}
}

// NaN and infinite metrics are rejected with an error for the plugin's
// author, in the SDK's terms (what was reported, what was returned, what
// to do instead), not as a protocol violation; the plugin, which did
// nothing wrong at the protocol level, stays usable.
func TestNonFiniteMetricsRejected(t *testing.T) {
	p := open(t, builtinConfig(t, "t-nan"))
	for _, tc := range []struct {
		name   string
		params []value.NamedValue
		want   []string
	}{
		{"report", nil, []string{`reported metric "loss" = NaN at step 1 with Reporter.Report`, "return an error from Run"}},
		{"result", []value.NamedValue{param("in_result", value.Bool(true))}, []string{`returned metric "loss" = +Inf at step 0 in the Result of Run`, "return an error from Run"}},
	} {
		rep := &reporter{}
		res, err := p.Run(context.Background(), spec("t-nan", 1, tc.params...), rep)
		if !errors.Is(err, plugins.ErrNotFinite) || res.Outcome != trial.ExitCrashed {
			t.Errorf("%s: result %+v, error %v; want crashed, ErrNotFinite", tc.name, res, err)
		}
		for _, w := range tc.want {
			if err != nil && !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
		if err != nil && strings.Contains(err.Error(), "protocol") {
			t.Errorf("%s: a NaN metric is explained as a protocol violation: %v", tc.name, err)
		}
		if rep.count() != 0 {
			t.Errorf("%s: the NaN report reached the reporter", tc.name)
		}
		if !p.Healthy() {
			t.Fatalf("%s: plugin unhealthy after a rejected metric", tc.name)
		}
	}
}

// The plugin may finish a stopped trial, and end the stream, before the
// host's stop directive goes out (the Cancel sent first lets it): a NaN
// report is still the trial's failure, not a protocol violation (CI saw
// that race once under load; the hook makes it certain).
func TestNonFiniteReportWhenThePluginEndsFirst(t *testing.T) {
	defer plugins.SetBeforeStopDirective(func() { time.Sleep(100 * time.Millisecond) })()
	p := open(t, builtinConfig(t, "t-nan"))
	res, err := p.Run(context.Background(), spec("t-nan", 1), &reporter{})
	if !errors.Is(err, plugins.ErrNotFinite) || res.Outcome != trial.ExitCrashed {
		t.Fatalf("result %+v, error %v; want crashed, ErrNotFinite", res, err)
	}
	if !p.Healthy() {
		t.Fatal("plugin unhealthy after a rejected metric")
	}
}

// A NaN an exec program prints fails its trial with the exec trainer's
// message for the program's author (which line, which key), through the
// plugin host too: the host's check of the result does not replace it
// with one for Go plugin authors.
func TestExecNaNKeepsItsOwnMessage(t *testing.T) {
	p := open(t, builtinConfig(t, "exec"))
	s := spec("exec", 1)
	s.Trainer.Config = map[string]any{"command": []any{"sh", "-c", `echo '{"step": 1, "val_loss": 0.5}'; echo '{"step": 2, "val_loss": NaN}'; sleep 5`}}
	res, err := p.Run(context.Background(), s, &reporter{})
	if err == nil || res.Outcome != trial.ExitCrashed {
		t.Fatalf("result %+v, error %v; want a failed trial", res, err)
	}
	msg := err.Error()
	for _, w := range []string{`printed metric "val_loss" = NaN at step 2`, `in the line {"step": 2, "val_loss": NaN}`, "lower learning rate"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q: %s", w, msg)
		}
	}
	if errors.Is(err, plugins.ErrProtocol) || errors.Is(err, plugins.ErrNotFinite) || strings.Contains(msg, "Reporter.Report") || strings.Contains(msg, "protocol") {
		t.Errorf("an exec program's NaN is explained to a Go plugin author: %s", msg)
	}
}

// Reuse keeps one process per slot across trials; without it, every trial
// gets a fresh process and the last one is gone when it ends.
func TestSlotReuse(t *testing.T) {
	for _, reuse := range []bool{true, false} {
		slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
		var pids []int
		for id := range 3 {
			s := spec("t-echo", id)
			s.Trainer.Reuse = &reuse
			res, err := slot.Run(context.Background(), s, &reporter{})
			if err != nil {
				t.Fatal(err)
			}
			pids = append(pids, int(res.Metrics["pid"]))
		}
		same := pids[0] == pids[1] && pids[1] == pids[2]
		if same != reuse {
			t.Errorf("reuse=%v: pids %v", reuse, pids)
		}
		if !reuse {
			for _, pid := range pids {
				assertSessionGone(t, pid)
			}
		}
		slot.Close()
		assertSessionGone(t, pids[2])
	}
}

func TestUnknownBuiltin(t *testing.T) {
	err := plugins.ServeBuiltin("nope")
	if !errors.Is(err, plugins.ErrUnknownBuiltin) || !strings.Contains(err.Error(), "exec") {
		t.Errorf("error %v, want ErrUnknownBuiltin listing the built-ins", err)
	}
}

func TestPluginDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("/bin/sh", filepath.Join(dir, "escape"))
	o := plugins.HostOptions{PluginDir: dir}
	if cfg, reuse, err := o.ConfigFor(trial.Trainer{Plugin: "./mine"}); err != nil || cfg.Path != filepath.Join(dir, "mine") || reuse {
		t.Errorf("./mine: %+v reuse=%v %v", cfg.Path, reuse, err)
	}
	for _, name := range []string{"../mine", "/bin/sh", "./escape"} {
		if _, _, err := o.ConfigFor(trial.Trainer{Plugin: name}); !errors.Is(err, plugins.ErrBinary) {
			t.Errorf("%s: error %v, want ErrBinary", name, err)
		}
	}
}

// Run by hand rather than by a host, a plugin says what it is and exits 1.
func TestPluginRunByHand(t *testing.T) {
	out, err := exec.Command(selfExe(t), "plugin", "serve", "t-echo").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "This binary is a plugin") {
		t.Errorf("exit %v, output %q", err, out)
	}
}

// A kept process that died between trials (killed while idle: the OOM
// killer, an operator) fails the next trial as lost, not crashed: the
// trainer never got it, so it runs again without counting as a failure.
// A process that dies during a trial is still that trial's crash (see
// TestPanicFailsTheTrialNotTheSlot).
func TestProcessDeadBetweenTrialsIsLostNotCrashed(t *testing.T) {
	rec := probeLaunches(t)
	p := open(t, builtinConfig(t, "t-echo"))
	if _, err := p.Run(context.Background(), spec("t-echo", 1), &reporter{}); err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the plugin reaped", func() bool { return !proc.Exists(pid) })
	res, err := p.Run(context.Background(), spec("t-echo", 2), &reporter{})
	if !errors.Is(err, trial.ErrLost) || !errors.Is(err, plugins.ErrCrashed) {
		t.Fatalf("error %v, want trial.ErrLost (and ErrCrashed)", err)
	}
	if !strings.Contains(err.Error(), "was dead before trial s/2/1 could start") {
		t.Errorf("error %q does not say the process died before the trial", err)
	}
	if res.Outcome != trial.ExitCrashed && res.Outcome != trial.ExitLost {
		t.Errorf("outcome %v", res.Outcome)
	}
	if p.Healthy() {
		t.Error("a dead process reported healthy")
	}
	if launched, crashed := rec.counts("t-echo"); launched != 1 || crashed != 1 {
		t.Errorf("probe: %d launches, %d crashes of t-echo; want 1 and 1 (all: %v)", launched, crashed, rec.launched)
	}
}

// A slot whose kept process died between trials runs the next trial in a
// fresh process, without failing it.
func TestSlotReplacesAKeptProcessThatDiedIdle(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	defer slot.Close()
	if _, err := slot.Run(context.Background(), spec("t-echo", 1), &reporter{}); err != nil {
		t.Fatal(err)
	}
	pid := slot.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the plugin reaped", func() bool { return !proc.Exists(pid) })
	res, err := slot.Run(context.Background(), spec("t-echo", 2), &reporter{})
	if err != nil {
		t.Fatalf("trial after the kept process died: %v", err)
	}
	if got := int(res.Metrics["pid"]); got == pid || got != slot.Pid() {
		t.Errorf("trial ran in pid %d (dead: %d, slot: %d), want a fresh process", got, pid, slot.Pid())
	}
}

// TestCheckRefusesWhatIsNotAPlugin: before a study's first trial, Check
// starts the binary, completes the handshake and ends the process; a
// missing binary and one that is not an automl plugin (/bin/true exits
// at once) are refused with the reason; a real plugin passes.
func TestCheckRefusesWhatIsNotAPlugin(t *testing.T) {
	if err := plugins.Check(builtinConfig(t, "t-echo")); err != nil {
		t.Fatalf("a plugin: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "my-plugin")
	for _, tc := range []struct {
		path, want string
		sentinel   error
	}{
		{missing, missing + ": no such file", plugins.ErrBinary},
		{"/bin/true", "/bin/true is not an automl plugin: it printed nothing on stdout and closed it", plugins.ErrHandshake},
	} {
		err := plugins.Check(plugins.Config{Path: tc.path, Env: plugins.BaseEnv()})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.sentinel) {
			t.Errorf("Check(%s) = %v, want %q", tc.path, err, tc.want)
		}
		if errors.Is(err, trial.ErrLost) {
			t.Errorf("Check(%s) = %v: not a plugin is no lost run", tc.path, err)
		}
	}
}
