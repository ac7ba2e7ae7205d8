package proc

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Wait statuses in words: an exit code, a signal by name, and a SIGKILL
// nobody asked for as the likely OOM killer.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		ws   syscall.WaitStatus
		stop bool
		want string
	}{
		{3 << 8, false, "exited with status 3"},
		{9, false, "killed by signal 9 (SIGKILL): likely out of memory (the kernel's OOM killer), no stop was asked"},
		{9, true, "killed by signal 9 (SIGKILL) after a stop was asked"},
		{11, false, "terminated by signal 11 (SIGSEGV: segmentation fault)"},
		{11 | 0x80, false, "terminated by signal 11 (SIGSEGV: segmentation fault, core dumped)"},
		{15, false, "terminated by signal 15 (SIGTERM: terminated)"},
	} {
		if got := Describe(tc.ws, tc.stop); got != tc.want {
			t.Errorf("Describe(%#x, %v) = %q, want %q", uint32(tc.ws), tc.stop, got, tc.want)
		}
	}
}

// ExitStatus reads a zombie child's status without reaping it: Wait still
// gets the same status after.
func TestExitStatusLeavesTheZombieToItsParent(t *testing.T) {
	cmd := exec.Command("sh", "-c", "kill -SEGV $$")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	deadline := time.Now().Add(10 * time.Second)
	for ok := false; !ok; ws, ok = ExitStatus(cmd.Process.Pid) {
		if time.Now().After(deadline) {
			t.Fatal("the child never became a zombie")
		}
		time.Sleep(time.Millisecond)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGSEGV {
		t.Errorf("status %#x, want SIGSEGV", uint32(ws))
	}
	err := cmd.Wait()
	if err == nil || !strings.Contains(err.Error(), "segmentation fault") {
		t.Errorf("Wait after ExitStatus: %v, want the child's SIGSEGV", err)
	}
	if _, ok := ExitStatus(cmd.Process.Pid); ok {
		t.Error("a reaped child still has an exit status")
	}
}
