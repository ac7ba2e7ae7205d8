package proc

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Describe says how a process ended, from its wait status, in words a
// user can act on: "exited with status 2", "terminated by signal 11
// (SIGSEGV: segmentation fault)", or, for SIGKILL that nobody on this side
// asked for, "killed by signal 9 (SIGKILL): likely out of memory (the
// kernel's OOM killer), no stop was asked". stopAsked says that the caller
// had asked the process to stop (and may have killed it itself).
func Describe(ws syscall.WaitStatus, stopAsked bool) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case !ws.Signaled():
		return fmt.Sprintf("ended with wait status %#x", uint32(ws))
	}
	sig := ws.Signal()
	name := unix.SignalName(sig)
	if name == "" {
		name = "an unnamed signal"
	}
	core := ""
	if ws.CoreDump() {
		core = ", core dumped"
	}
	if sig == syscall.SIGKILL {
		if stopAsked {
			return fmt.Sprintf("killed by signal %d (%s%s) after a stop was asked", int(sig), name, core)
		}
		return fmt.Sprintf("killed by signal %d (%s%s): likely out of memory (the kernel's OOM killer), no stop was asked", int(sig), name, core)
	}
	return fmt.Sprintf("terminated by signal %d (%s: %v%s)", int(sig), name, sig, core)
}
