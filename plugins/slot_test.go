package plugins_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"automl/plugins"
	"automl/search/value"
	"automl/trial"
)

// waitSpare waits for the slot's spare to finish launching and returns its
// pid.
func waitSpare(t *testing.T, slot *plugins.Slot) int {
	t.Helper()
	eventually(t, 20*time.Second, "no spare launched", func() bool { return slot.SparePid() != 0 })
	return slot.SparePid()
}

func runPid(t *testing.T, slot *plugins.Slot, s trial.Spec) int {
	t.Helper()
	res, err := slot.Run(context.Background(), s, &reporter{})
	if err != nil {
		t.Fatalf("trial %d: %v", s.Key.ID, err)
	}
	return int(res.Metrics["pid"])
}

// Without reuse, each trial's process is launched while the trial before
// it runs: the next trial takes that spare, and every process still ends
// with its trial (or with the slot).
func TestSlotPrelaunchesWithoutReuse(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	fresh := func(id int) trial.Spec {
		s := spec("t-echo", id)
		s.Trainer.Reuse = new(false)
		return s
	}
	seen := map[int]bool{}
	for id := range 3 {
		pid := runPid(t, slot, fresh(id))
		if seen[pid] {
			t.Fatalf("trial %d ran in pid %d again, want a fresh process", id, pid)
		}
		seen[pid] = true
		assertSessionGone(t, pid)
		spare := waitSpare(t, slot)
		if seen[spare] {
			t.Fatalf("spare %d already ran a trial", spare)
		}
		if got := runPid(t, slot, fresh(10+id)); got != spare {
			t.Fatalf("trial ran in pid %d, want the spare %d", got, spare)
		}
		seen[spare] = true
	}
	last := waitSpare(t, slot)
	slot.Close()
	assertSessionGone(t, last)
}

// A spare launched for one trainer is killed, not used, when the next
// trial is another trainer's.
func TestSlotSpareOfAnotherTrainerIsKilled(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	defer slot.Close()
	s := spec("t-echo", 1)
	s.Trainer.Reuse = new(false)
	runPid(t, slot, s)
	spare := waitSpare(t, slot)
	if _, err := slot.Run(context.Background(), spec("t-env", 2), &reporter{}); err != nil {
		t.Fatal(err)
	}
	assertSessionGone(t, spare)
	if pid := slot.Pid(); pid == spare || pid == 0 {
		t.Errorf("t-env kept in pid %d (spare was %d)", pid, spare)
	}
}

// A kept process that crashes is replaced in the background: the next
// trial runs in the replacement, launched before it was asked for.
func TestSlotReplacesACrashedProcessAhead(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	defer slot.Close()
	first := runPid(t, slot, spec("t-echo", 1))
	_, err := slot.Run(context.Background(), spec("t-echo", 2, param("panic", value.Bool(true))), &reporter{})
	if !errors.Is(err, plugins.ErrCrashed) {
		t.Fatalf("error %v, want ErrCrashed", err)
	}
	spare := waitSpare(t, slot)
	if spare == first {
		t.Fatalf("the crashed process %d is the spare", first)
	}
	if got := runPid(t, slot, spec("t-echo", 3)); got != spare {
		t.Errorf("trial after the crash ran in pid %d, want the replacement %d", got, spare)
	}
	assertSessionGone(t, first)
}

// With NoPrelaunch a slot starts nothing ahead: after a trial without
// reuse, no process of the slot is left.
func TestSlotNoPrelaunch(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t), NoPrelaunch: true})
	defer slot.Close()
	s := spec("t-echo", 1)
	s.Trainer.Reuse = new(false)
	pid := runPid(t, slot, s)
	assertSessionGone(t, pid)
	// A spare would have been forked when the trial started.
	eventually(t, 5*time.Second, "a process of the slot outlived its trial", func() bool { return len(children()) == 0 })
	if slot.Pid() != 0 || slot.SparePid() != 0 {
		t.Errorf("slot holds pid %d, spare %d; want none", slot.Pid(), slot.SparePid())
	}
}

// fresh is a trial of plugin without reuse: the slot launches a spare for
// the trial after it.
func fresh(plugin string, id int) trial.Spec {
	s := spec(plugin, id)
	s.Trainer.Reuse = new(false)
	return s
}

// A spare launched with one environment never runs a trial that would get
// another: with HostOptions.Env unset each trial's environment is the
// host's allowlist as it is then, and the slot's GPUs are part of it.
func TestSlotSpareOfAnotherEnvironmentIsKilled(t *testing.T) {
	t.Setenv("TZ", "UTC")
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t), GPUs: []string{"3"}})
	defer slot.Close()
	runPid(t, slot, fresh("t-env", 1))
	spare := waitSpare(t, slot)
	t.Setenv("TZ", "Europe/Paris")
	res, err := slot.Run(context.Background(), fresh("t-env", 2), &reporter{})
	if err != nil {
		t.Fatal(err)
	}
	if pid := int(res.Metrics["pid"]); pid == spare {
		t.Fatalf("trial ran in the spare %d, launched with TZ=UTC", spare)
	}
	env := "\n" + res.Checkpoint + "\n"
	if !strings.Contains(env, "\nTZ=Europe/Paris\n") || !strings.Contains(env, "\nCUDA_VISIBLE_DEVICES=3\n") {
		t.Errorf("trial's environment:\n%s", res.Checkpoint)
	}
	assertSessionGone(t, spare)
}

// A spare launched without a pin never runs a trial that pins the binary
// (the pinned, verified copy runs instead), nor the other way round.
func TestSlotSpareOfAnotherPinIsKilled(t *testing.T) {
	sum := sha256File(t, selfExe(t))
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	defer slot.Close()
	runPid(t, slot, fresh("t-echo", 1))
	spare := waitSpare(t, slot)
	pinned := fresh("t-echo", 2)
	pinned.Trainer.SHA256 = sum
	if got := runPid(t, slot, pinned); got == spare {
		t.Fatalf("pinned trial ran in the unpinned spare %d", spare)
	}
	assertSessionGone(t, spare)
	spare = waitSpare(t, slot)
	if got := runPid(t, slot, fresh("t-echo", 3)); got == spare {
		t.Fatalf("unpinned trial ran in the pinned spare %d", spare)
	}
	assertSessionGone(t, spare)
}

// A binary replaced on disk after its spare was launched is what the next
// trial runs: the spare of the old binary is killed.
func TestSlotSpareOfAReplacedBinaryIsKilled(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "automl")
	install := func() {
		b, err := os.ReadFile(selfExe(t))
		if err != nil {
			t.Fatal(err)
		}
		// A new file renamed over the old, as go build and package
		// managers do.
		if err := os.WriteFile(bin+".new", b, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(bin+".new", bin); err != nil {
			t.Fatal(err)
		}
	}
	install()
	slot := plugins.NewSlot(plugins.HostOptions{Self: bin})
	defer slot.Close()
	runPid(t, slot, fresh("t-echo", 1))
	spare := waitSpare(t, slot)
	install()
	if got := runPid(t, slot, fresh("t-echo", 2)); got == spare {
		t.Fatalf("trial ran in the spare %d of the replaced binary", spare)
	}
	assertSessionGone(t, spare)
	// Unchanged since, the binary's next spare is taken.
	spare = waitSpare(t, slot)
	if got := runPid(t, slot, fresh("t-echo", 3)); got != spare {
		t.Errorf("trial ran in pid %d, want the spare %d", got, spare)
	}
}

// A spare that dies while it waits (killed, OOM) is not handed to the
// trial, which runs in a new process and succeeds.
func TestSlotKilledSpareIsNotUsed(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	defer slot.Close()
	runPid(t, slot, fresh("t-echo", 1))
	spare := waitSpare(t, slot)
	if err := syscall.Kill(spare, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the killed spare still runs", func() bool { return !alive(spare) })
	if got := runPid(t, slot, fresh("t-echo", 2)); got == spare {
		t.Fatalf("trial ran in the killed spare %d", spare)
	}
}

// A trial without reuse never runs in the process kept by an earlier
// trial that allowed it; it runs in a fresh process, and the kept one is
// killed.
func TestSlotNoReuseTrialGetsAFreshProcess(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	defer slot.Close()
	kept := runPid(t, slot, spec("t-echo", 1))
	if got := runPid(t, slot, fresh("t-echo", 2)); got == kept {
		t.Fatalf("trial without reuse ran in the kept process %d", kept)
	}
	assertSessionGone(t, kept)
}

// A slot leaves no goroutine or process behind once closed: the spare,
// the reaping of retired processes and every process's locked thread end.
func TestSlotCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	runPid(t, slot, spec("t-echo", 0))
	for id := 1; id <= 3; id++ {
		runPid(t, slot, fresh("t-echo", id))
	}
	waitSpare(t, slot)
	slot.Close()
	eventually(t, 5*time.Second, "goroutines left after Close", func() bool { return runtime.NumGoroutine() <= before })
	if n := len(children()); n != 0 {
		t.Errorf("%d child processes left after Close", n)
	}
}

func sha256File(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// trainer.prelaunch: false (for a plugin that takes GPU memory before it
// serves) launches each fresh process only when its trial starts: no
// spare is ever launched beside a running trial.
func TestSlotNoPrelaunchWhenTheTrainerSaysSo(t *testing.T) {
	slot := plugins.NewSlot(plugins.HostOptions{Self: selfExe(t)})
	defer slot.Close()
	var pids []int
	for id := range 3 {
		s := spec("t-echo", id)
		s.Trainer.Reuse, s.Trainer.Prelaunch = new(false), new(false)
		pids = append(pids, runPid(t, slot, s))
		time.Sleep(200 * time.Millisecond) // time enough for a spare to launch, were one asked for
		if pid := slot.SparePid(); pid != 0 {
			t.Fatalf("after trial %d: spare %d launched with prelaunch off", id, pid)
		}
	}
	if pids[0] == pids[1] || pids[1] == pids[2] {
		t.Errorf("pids %v: want a fresh process per trial", pids)
	}
}
