package plugins_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"automl/plugins"
	"automl/plugins/internal/proc"
	"automl/trial"
)

// A trainer's program that leaves two processes behind: one in a session
// of its own (setsid), one nohup'd in its group. Both would outlive the
// program; the setsid one also holds the program's output open. When GO
// names a file, the program waits for it after its report, so that the
// test sees it and both strays alive before the program ends.
const straysScript = `setsid sleep 300 &
nohup sleep 300 &
echo '{"step": 1, "loss": 0.5}'
[ -z "$GO" ] || while [ ! -e "$GO" ]; do sleep 0.01; done`

// boxMode is one way a plugin's processes are held.
type boxMode struct {
	name     string
	noCgroup bool
}

// boxModes are the cgroup box, where this machine lets the test create
// cgroups (it says so, and why not, in the log), and the subreaper box,
// forced, everywhere: both paths run on every machine that allows them.
func boxModes(t *testing.T) []boxMode {
	t.Helper()
	modes := []boxMode{{"subreaper", true}}
	b := proc.NewBox(false)
	kind := b.Kind()
	b.Close()
	if strings.HasPrefix(kind, "cgroup ") {
		modes = append(modes, boxMode{"cgroup", false})
	} else {
		t.Logf("no cgroup box on this machine: %s", kind)
	}
	return modes
}

// newMark is a value for STRAY_MARK that names one test's processes.
func newMark(t *testing.T) string {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(r[:])
}

// marked lists the live (non-zombie) processes whose environment holds
// STRAY_MARK=mark: everything an exec trial started, wherever it went.
func marked(mark string) []int {
	ents, _ := os.ReadDir("/proc")
	want := []byte("STRAY_MARK=" + mark)
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, want) && proc.Alive(pid) {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// strayJob is an exec trial running script with STRAY_MARK=mark, and
// GO=gate when gate is not empty.
func strayJob(id int, script, mark, gate string, reuse bool) trial.Spec {
	s := spec("exec", id)
	env := map[string]any{"STRAY_MARK": mark}
	if gate != "" {
		env["GO"] = gate
	}
	s.Trainer.Config = map[string]any{"command": []any{"sh", "-c", script}, "env": env}
	s.Trainer.Reuse = &reuse
	return s
}

// open the gate a trial's program waits for.
func openGate(t *testing.T, gate string) {
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Error(err)
	}
}

// What a trial's program leaves running (a child that called setsid, a
// nohup'd one) ends with the trial, in both kinds of box, whether the slot
// keeps its trainer process (then at once, before Run returns, and the
// kept process lives on and runs the next trial) or not.
func TestStraysEndWithTheTrial(t *testing.T) {
	for _, m := range boxModes(t) {
		for _, reuse := range []bool{true, false} {
			t.Run(m.name+"/reuse="+strconv.FormatBool(reuse), func(t *testing.T) {
				slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t), NoCgroup: m.noCgroup, StopGrace: 300 * time.Millisecond})
				defer slot.Close()
				mark, gate := newMark(t), t.TempDir()+"/go"
				var during []int
				var pid int
				rep := &reporter{decide: func(float64, trial.Metrics) trial.Directive {
					// The shell may print before its background children
					// have forked (a loaded machine): wait for them, a while.
					for end := time.Now().Add(10 * time.Second); len(during) < 3 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
						during = marked(mark)
					}
					pid = slot.Pid()
					openGate(t, gate)
					return trial.Continue
				}}
				if _, err := slot.Run(context.Background(), strayJob(1, straysScript, mark, gate, reuse), rep); err != nil {
					t.Fatal(err)
				}
				if len(during) < 3 { // sh, the setsid sleep, the nohup sleep
					t.Fatalf("during the trial %v carried the mark, want sh and two sleeps", during)
				}
				if reuse {
					if left := marked(mark); len(left) > 0 {
						t.Fatalf("when Run returned, %v of %v still ran", left, during)
					}
					if !proc.Alive(pid) || slot.Pid() != pid {
						t.Fatalf("the kept plugin process %d was killed by the sweep (slot holds %d)", pid, slot.Pid())
					}
					// The kept process runs the next trial.
					if _, err := slot.Run(context.Background(), strayJob(2, straysScript, mark, "", reuse), &reporter{}); err != nil {
						t.Fatalf("second trial on the kept process: %v", err)
					}
					if slot.Pid() != pid {
						t.Errorf("second trial ran in process %d, not the kept %d", slot.Pid(), pid)
					}
				}
				eventually(t, 10*time.Second, "a stray outlived its trial", func() bool { return len(marked(mark)) == 0 })
			})
		}
	}
}

// Two slots of one worker run trials side by side: the end of one trial
// kills its strays only, never the other trial's processes (its plugin,
// its program, its own strays) or the worker.
func TestSweepSparesTheOtherSlot(t *testing.T) {
	for _, m := range boxModes(t) {
		t.Run(m.name, func(t *testing.T) {
			opts := plugins.HostOptions{Self: selfExe(t), NoCgroup: m.noCgroup, StopGrace: 300 * time.Millisecond}
			a, b := plugins.NewSlot(opts), plugins.NewSlot(opts)
			defer a.Close()
			defer b.Close()
			markA, markB := newMark(t), newMark(t)
			// A starts its strays, reports, and runs on until stopped.
			ctxA, stopA := context.WithCancel(context.Background())
			defer stopA()
			reported := make(chan struct{})
			doneA := make(chan error, 1)
			go func() {
				rep := &reporter{decide: func(float64, trial.Metrics) trial.Directive {
					close(reported)
					return trial.Continue
				}}
				_, err := a.Run(ctxA, strayJob(1, straysScript+"\nexec sleep 300", markA, "", true), rep)
				doneA <- err
			}()
			select {
			case <-reported:
			case err := <-doneA:
				t.Fatalf("trial A ended early: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("trial A never reported")
			}
			// The strays are started before the report, but a setsid'd one
			// may not have its mark yet (it is still exec'ing).
			var runningA []int
			eventually(t, 10*time.Second, "trial A's program and two strays", func() bool {
				runningA = marked(markA)
				return len(runningA) >= 3
			})
			pidA := a.Pid()
			// B runs to its end beside A.
			if _, err := b.Run(context.Background(), strayJob(2, straysScript, markB, "", true), &reporter{}); err != nil {
				t.Fatal(err)
			}
			if left := marked(markB); len(left) > 0 {
				t.Errorf("B's strays %v outlived B's trial", left)
			}
			for _, pid := range append(runningA, pidA) {
				if !proc.Alive(pid) {
					t.Errorf("process %d of the running trial A was killed by B's sweep", pid)
				}
			}
			select {
			case err := <-doneA:
				t.Fatalf("trial A ended when B did: %v", err)
			default:
			}
			stopA()
			if err := <-doneA; err != nil {
				t.Fatalf("trial A stopped: %v", err)
			}
			eventually(t, 10*time.Second, "trial A's processes outlived its stop", func() bool { return len(marked(markA)) == 0 })
		})
	}
}

// How a process died is named: a plugin or a trainer's program killed by
// SIGKILL that nobody asked to stop (likely the OOM killer), one ended by
// SIGSEGV, a Go plugin whose runtime turned SIGSEGV into exit status 2.
func TestSignalsAreNamed(t *testing.T) {
	oom := "killed by signal 9 (SIGKILL): likely out of memory (the kernel's OOM killer), no stop was asked"
	for _, tc := range []struct {
		name, plugin, script string
		signal               func(pid int) // sent to the plugin after its first report
		want                 []string
	}{
		{name: "exec program SIGKILL", plugin: "exec", script: `echo '{"step": 1, "loss": 1}'; kill -9 $$`,
			want: []string{"exec: sh " + oom}},
		{name: "exec program SIGSEGV", plugin: "exec", script: `echo '{"step": 1, "loss": 1}'; kill -SEGV $$`,
			want: []string{"exec: sh terminated by signal 11 (SIGSEGV: segmentation fault"}},
		{name: "plugin SIGKILL", plugin: "t-wait", signal: func(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) },
			want: []string{"died during trial", oom, "it wrote nothing to stderr"}},
		{name: "Go plugin SIGSEGV", plugin: "t-wait", signal: func(pid int) { _ = syscall.Kill(pid, syscall.SIGSEGV) },
			want: []string{"died during trial", "exited with status 2", "SIGSEGV: segmentation violation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := open(t, builtinConfig(t, tc.plugin))
			s := spec(tc.plugin, 1)
			if tc.script != "" {
				s.Trainer.Config = map[string]any{"command": []any{"sh", "-c", tc.script}}
			}
			rep := &reporter{decide: func(float64, trial.Metrics) trial.Directive {
				if tc.signal != nil {
					tc.signal(p.Pid())
				}
				return trial.Continue
			}}
			res, err := p.Run(context.Background(), s, rep)
			if err == nil {
				t.Fatalf("trial ended %v without error", res.Outcome)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
			if res.Outcome != trial.ExitCrashed {
				t.Errorf("outcome %v, want crashed", res.Outcome)
			}
		})
	}
}

// A plugin process starts inside its box: its own cgroup (this process's
// cgroup file shows it) where cgroups can be used, a subreaper box when
// told so.
func TestPluginStartsInItsBox(t *testing.T) {
	for _, m := range boxModes(t) {
		t.Run(m.name, func(t *testing.T) {
			cfg := builtinConfig(t, "t-echo")
			cfg.NoCgroup = m.noCgroup
			p := open(t, cfg)
			kind := p.Containment()
			b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/cgroup")
			if err != nil {
				t.Fatal(err)
			}
			var own string
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "0::"); ok {
					own = v
				}
			}
			switch dir, isCgroup := strings.CutPrefix(kind, "cgroup "); {
			case m.noCgroup && !strings.HasPrefix(kind, "subreaper"):
				t.Errorf("containment %q, want a subreaper box", kind)
			case !m.noCgroup && (!isCgroup || own == "" || !strings.HasSuffix(dir, own)):
				t.Errorf("containment %q, but the process is in cgroup %q", kind, own)
			}
			t.Logf("plugin %d: %s (cgroup %s); this process: %s", p.Pid(), kind, own, plugins.Containment())
		})
	}
}
