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

func SessionMembers(sid int) []int { return nil }
func GroupMembers(pgid int) []int  { return nil }
func Children(ppid int) []int      { return nil }
func Alive(pid int) bool           { return syscall.Kill(pid, 0) == nil }

// ExitStatus needs /proc: never known here.
func ExitStatus(pid int) (syscall.WaitStatus, bool) { return 0, false }

// BoxEnv names a box in the boxed process's environment.
const BoxEnv = "AUTOML_TRAINER_BOX"

// Box, outside Linux, holds a process by its process group alone.
type Box struct{ pid int }

func NewBox(noCgroup bool) *Box            { return &Box{} }
func (b *Box) Kind() string                { return "process group (no cgroups or subreapers on this system)" }
func (b *Box) IsCgroup() bool              { return false }
func (b *Box) Env() string                 { return BoxEnv + "=" }
func (b *Box) Attr(a *syscall.SysProcAttr) {}
func (b *Box) Started(pid int)             { b.pid = pid }
func (b *Box) LaunchFailed(err error) bool { return false }
func (b *Box) Sweep() int                  { return 0 }
func (b *Box) Kill()                       { KillGroup(b.pid, syscall.SIGKILL) }
func (b *Box) Close() error                { KillGroup(b.pid, syscall.SIGKILL); return nil }

func DisableCgroups(why string) {}

// Reaper does nothing outside Linux.
type Reaper struct{}

func Adopt() *Reaper    { return nil }
func (r *Reaper) Busy() {}
func (r *Reaper) Idle() {}
