package proc

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

// boxKinds are the box kinds this machine has: a subreaper box always, a
// cgroup box where cgroups can be made.
func boxKinds(t *testing.T) map[string]bool {
	kinds := map[string]bool{"subreaper": true}
	b := NewBox(false)
	if b.IsCgroup() {
		kinds["cgroup"] = false
	} else {
		t.Logf("no cgroup box here: %s", b.Kind())
	}
	b.Close()
	return kinds
}

// startBoxed starts sh -c script in box b, as the plugin host starts a
// plugin: its own session, the box's variable in its environment.
func startBoxed(t *testing.T, b *Box, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), b.Env())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	b.Attr(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.Started(cmd.Process.Pid)
	return cmd
}

// withToken lists the live processes carrying box b's token, but pid.
func withToken(b *Box, pid int) []int {
	var out []int
	for _, st := range table() {
		if st.pid != pid && b.marks(st.pid) {
			out = append(out, st.pid)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A boxed process that is no subreaper (sh) orphans a child that leaves
// its session: the child is adopted by this process (or stays in the
// cgroup), outside the boxed process's tree and session. Sweep still
// finds it by the box's token (or cgroup) and kills it, and leaves the
// boxed process running; Close then kills that too.
func TestBoxFindsOrphansOutsideTheTree(t *testing.T) {
	for kind, noCgroup := range boxKinds(t) {
		t.Run(kind, func(t *testing.T) {
			b := NewBox(noCgroup)
			cmd := startBoxed(t, b, `(setsid sleep 300 &); exec sleep 300`)
			defer cmd.Process.Kill()
			pid := cmd.Process.Pid
			var stray int
			// Until the subshell has exited and setsid has run, what carries
			// the token is still a child of the boxed process, or in its
			// session: wait for the orphan proper.
			waitFor(t, "the orphan never appeared", func() bool {
				s := withToken(b, pid)
				if len(s) != 1 {
					return false
				}
				st, ok := readStat(s[0])
				stray = s[0]
				return ok && st.ppid != pid && st.session != pid
			})
			if n := b.Sweep(); n != 1 {
				t.Errorf("Sweep killed %d processes, want the orphan alone", n)
			}
			if Alive(stray) {
				t.Errorf("orphan %d survived the sweep", stray)
			}
			if !Alive(pid) {
				t.Fatal("the sweep killed the boxed process")
			}
			if err := b.Close(); err != nil {
				t.Error(err)
			}
			waitFor(t, "the boxed process survived Close", func() bool {
				ws, ok := ExitStatus(pid)
				return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
			})
			cmd.Wait()
			if b.IsCgroup() {
				if _, err := os.Stat(b.cg.dir); !os.IsNotExist(err) {
					t.Errorf("cgroup %s not removed: %v", b.cg.dir, err)
				}
			}
		})
	}
}

// A sweep with nothing to kill kills nothing, and costs no scan of /proc
// in a subreaper box (quiet).
func TestQuietBox(t *testing.T) {
	b := NewBox(true)
	defer b.Close()
	cmd := startBoxed(t, b, `exec sleep 300`)
	defer cmd.Process.Kill()
	if !b.quiet(cmd.Process.Pid) {
		t.Error("a box holding one sleeping process is not quiet")
	}
	if n := b.Sweep(); n != 0 {
		t.Errorf("Sweep killed %d", n)
	}
	kids, ok := children(os.Getpid())
	if !ok || !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("children of this process %v (ok %v) lack %d", kids, ok, cmd.Process.Pid)
	}
}

// The token is the box's own: another box's processes never carry it.
func TestTokensDiffer(t *testing.T) {
	a, b := NewBox(true), NewBox(true)
	defer a.Close()
	defer b.Close()
	if a.Env() == b.Env() || !bytes.HasPrefix([]byte(a.Env()), []byte(BoxEnv+"=")) {
		t.Errorf("tokens %q and %q", a.Env(), b.Env())
	}
}
