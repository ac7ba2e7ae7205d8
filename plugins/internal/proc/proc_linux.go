package proc

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// SessionAttr starts a process as the leader of a new session (and so of
// a new process group), killed by the kernel when the OS thread that
// started it exits: start it from a goroutine locked to its thread that
// outlives the process (see Locked).
func SessionAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
}

// GroupAttr starts a process as the leader of a new process group in the
// caller's session, with the same parent-death signal as SessionAttr.
func GroupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// KillGroup sends sig to every process of group pgid.
func KillGroup(pgid int, sig syscall.Signal) {
	if pgid > 0 {
		syscall.Kill(-pgid, sig)
	}
}

// SessionMembers lists the live (non-zombie) processes whose session id is
// sid, read from /proc.
func SessionMembers(sid int) []int {
	return scanProc(func(st procStat) bool { return st.session == sid })
}

// GroupMembers lists the live (non-zombie) processes of process group pgid.
func GroupMembers(pgid int) []int {
	return scanProc(func(st procStat) bool { return st.pgrp == pgid })
}

// Children lists the live (non-zombie) processes whose parent is ppid.
func Children(ppid int) []int {
	return scanProc(func(st procStat) bool { return st.ppid == ppid })
}

// Alive reports whether pid is a live process (not a zombie).
func Alive(pid int) bool {
	st, ok := readStat(pid)
	return ok && !st.dead()
}

type procStat struct {
	pid                 int
	state               byte
	ppid, pgrp, session int
	// start is when the process started (clock ticks after boot): with
	// pid, it names one process, whatever reuses the number later.
	start uint64
	// exit is the wait status of a zombie (Linux 3.5+), 0 otherwise.
	exit int
}

func (st procStat) dead() bool { return st.state == 'Z' || st.state == 'X' }

// ExitStatus reads how pid ended while it is a zombie (exited and not yet
// reaped) from /proc/PID/stat, without reaping it: its parent's Wait
// still gets it. ok is false while it runs, or once it is reaped.
func ExitStatus(pid int) (ws syscall.WaitStatus, ok bool) {
	st, found := readStat(pid)
	if !found || st.state != 'Z' {
		return 0, false
	}
	return syscall.WaitStatus(st.exit), true
}

// table reads every live (non-zombie) process.
func table() []procStat {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]procStat, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok && !st.dead() {
			out = append(out, st)
		}
	}
	return out
}

func scanProc(match func(procStat) bool) []int {
	var out []int
	for _, st := range table() {
		if match(st) {
			out = append(out, st.pid)
		}
	}
	return out
}

// readStat parses /proc/PID/stat: "pid (comm) state ppid pgrp session ...
// starttime (22nd) ... exit_code (52nd)"; comm may hold spaces and
// parentheses, so fields start after the last ')'.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 4 {
		return procStat{}, false
	}
	ppid, err0 := strconv.Atoi(f[1])
	pgrp, err1 := strconv.Atoi(f[2])
	session, err2 := strconv.Atoi(f[3])
	if err0 != nil || err1 != nil || err2 != nil || len(f[0]) != 1 {
		return procStat{}, false
	}
	st := procStat{pid: pid, state: f[0][0], ppid: ppid, pgrp: pgrp, session: session}
	if len(f) > 19 {
		st.start, _ = strconv.ParseUint(f[19], 10, 64)
	}
	if len(f) > 49 {
		st.exit, _ = strconv.Atoi(f[49])
	}
	return st, true
}
