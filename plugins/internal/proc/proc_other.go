//go:build !linux

package proc

import "syscall"

// Outside Linux there is no parent-death signal and no /proc: processes
// get their own group, killing is by group, and the scans find nothing.

func SessionAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
func GroupAttr() *syscall.SysProcAttr   { return &syscall.SysProcAttr{Setpgid: true} }

func KillGroup(pgid int, sig syscall.Signal) {
	if pgid > 0 {
		syscall.Kill(-pgid, sig)
	}
}

func KillSession(pid int)          { KillGroup(pid, syscall.SIGKILL) }
func SessionMembers(sid int) []int { return nil }
func GroupMembers(pgid int) []int  { return nil }
func Children(ppid int) []int      { return nil }
func Alive(pid int) bool           { return syscall.Kill(pid, 0) == nil }
