package proc

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// reapFor bounds how long reapLater watches the processes a box killed.
const reapFor = 30 * time.Second

// reapLater reaps, in the background, those of the killed processes that
// end up zombies whose parent is this process: orphans it adopted as a
// subreaper, which nobody else waits for. Only those: a child this
// process started itself (the boxed process) is its starter's to reap, or
// the starter's Wait would fail. Start times guard against a pid number
// reused meanwhile.
func reapLater(killed map[int]procStat) {
	if len(killed) == 0 {
		return
	}
	go func() {
		self := os.Getpid()
		_ = poll(reapFor, func() bool {
			for pid, was := range killed {
				st, ok := readStat(pid)
				switch {
				case !ok || st.start != was.start:
					delete(killed, pid) // gone: reaped by its parent
				case st.state == 'Z' && st.ppid == self:
					var ws syscall.WaitStatus
					if p, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); p == pid || err != nil {
						delete(killed, pid)
					}
				}
			}
			return len(killed) == 0
		})
	}()
}

// Reaper is what a plugin process does with the orphans of its trials: it
// becomes their child subreaper, so they stay below it, where its host's
// sweep finds them by ancestry, and it reaps them while no trial runs.
// (Reaping any child during a trial could take the exit status a trainer
// waits for, os/exec's Wait.)
type Reaper struct {
	mu   sync.Mutex
	busy int
}

// Adopt makes this process a child subreaper and starts reaping; nil when
// the system refuses (the host's sweep then finds orphans by their token).
func Adopt() *Reaper {
	if unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != nil {
		return nil
	}
	r := &Reaper{}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGCHLD)
	go func() {
		for range ch {
			r.mu.Lock()
			if r.busy == 0 {
				reapAll()
			}
			r.mu.Unlock()
		}
	}()
	return r
}

// Busy marks the start of a trial: nothing is reaped until it ends.
func (r *Reaper) Busy() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.busy++
	r.mu.Unlock()
}

// Idle marks the end of a trial, and reaps what has ended once no trial
// runs.
func (r *Reaper) Idle() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.busy--; r.busy == 0 {
		reapAll()
	}
}

// reapAll reaps every child that has ended.
func reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
