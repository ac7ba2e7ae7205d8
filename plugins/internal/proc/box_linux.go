package proc

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// BoxEnv names a box in the environment of the process it holds, and so,
// unless they drop it, of every process that one starts.
const BoxEnv = "AUTOML_TRAINER_BOX"

// sweepFor bounds how long a sweep keeps killing (new processes forked
// meanwhile, processes slow to die in the kernel).
const sweepFor = 5 * time.Second

// Box holds one trainer process and everything it starts, so that what a
// trial started ends with the trial even when it left the process's
// session and group (setsid) or lost its parent. Two kinds:
//
//   - a cgroup box (cgroup v2, where this process may create groups): the
//     process starts inside its own group, and its descendants cannot leave
//     it; a sweep kills the group's members, cgroup.kill all of them.
//   - a subreaper box (elsewhere): this process becomes a child subreaper
//     (PR_SET_CHILD_SUBREAPER), so an orphan below it is adopted by it, not
//     by init; a sweep kills, from one /proc scan, the boxed process's
//     descendants (the process is a subreaper too when it is served by
//     plugins.Serve, so its orphans stay below it), the rest of its session
//     and group, and this process's children marked with the box's token
//     (BoxEnv): what was orphaned after the boxed process itself died. A
//     descendant that drops the variable, leaves the session and is
//     orphaned by the boxed process's death escapes it.
//
// A box never holds another box's processes or the process that made it:
// several boxes (slots) can run and be swept side by side.
type Box struct {
	cg    *cgroup // nil: a subreaper box
	token string
	why   string // why a subreaper box

	mu     sync.Mutex
	pid    int    // the boxed process, once started
	start  uint64 // its start time: its pid number may name another process once it is reaped
	closed bool
}

// NewBox makes an empty box: a cgroup box where cgroups can be used and
// noCgroup is false, else a subreaper box. Start the process with Env in
// its environment and Attr applied, then call Started.
func NewBox(noCgroup bool) *Box {
	b := &Box{token: newToken()}
	if noCgroup {
		b.why = "cgroups turned off"
	} else if cg, err := newCgroup(); err == nil {
		b.cg = cg
		return b
	} else {
		b.why = err.Error()
	}
	becomeSubreaper()
	return b
}

func newToken() string {
	var r [12]byte
	_, _ = rand.Read(r[:])
	return strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(r[:])
}

// Kind says how the box holds its processes: "cgroup DIR" or "subreaper
// (why not a cgroup)".
func (b *Box) Kind() string {
	if b.cg != nil {
		return "cgroup " + b.cg.dir
	}
	return "subreaper (" + b.why + ")"
}

// IsCgroup reports whether the box is a cgroup box.
func (b *Box) IsCgroup() bool { return b.cg != nil }

// Env is the variable to add to the boxed process's environment.
func (b *Box) Env() string { return BoxEnv + "=" + b.token }

// Attr makes a process start inside the box's cgroup (clone3 with
// CLONE_INTO_CGROUP), so it never runs a moment outside it.
func (b *Box) Attr(a *syscall.SysProcAttr) {
	if b.cg != nil && b.cg.fd >= 0 {
		a.UseCgroupFD = true
		a.CgroupFD = b.cg.fd
	}
}

// Started records the boxed process (0: none started).
func (b *Box) Started(pid int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pid = pid
	if st, ok := readStat(pid); ok {
		b.start = st.start
	}
	setBoxed(pid, true)
	if b.cg != nil {
		b.cg.closeFD()
	}
}

// owns reports whether the pid number still names the boxed process (or
// nothing): once the process is reaped the number may be reused, and its
// new holder, its children, its session and group are not the box's.
func (b *Box) owns(pid int) bool {
	st, ok := readStat(pid)
	return pid > 0 && (!ok || st.start == b.start)
}

// LaunchFailed reports whether a failed start (no process) may have
// failed for the box's cgroup: clone3 into a group the kernel refuses.
// The errors are also those of other failed starts, so the caller tries
// again without a cgroup to know (see DisableCgroups).
func (b *Box) LaunchFailed(err error) bool {
	if b.cg == nil {
		return false
	}
	for _, e := range []error{syscall.EBUSY, syscall.EOPNOTSUPP, syscall.ENOSYS, syscall.EPERM, syscall.EACCES, syscall.EINVAL} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Sweep kills every process in the box but the boxed process itself, and
// returns once they are gone (or after a few seconds for one stuck in the
// kernel): what a trial left running, when the process is kept for the
// next trial. It returns how many processes it killed.
func (b *Box) Sweep() int {
	b.mu.Lock()
	pid, closed := b.pid, b.closed
	b.mu.Unlock()
	if closed || pid <= 0 || b.quiet(pid) {
		return 0
	}
	killed := b.kill(pid, false)
	n := len(killed)
	reapLater(killed) // the map is the reaper's now
	return n
}

// Kill sends SIGKILL at once to everything in the box, the boxed process
// included (cgroup.kill), or for a subreaper box to the boxed process's
// group: one system call, for a critical path; Close finishes the work.
func (b *Box) Kill() {
	b.mu.Lock()
	pid := b.pid
	b.mu.Unlock()
	if b.cg != nil {
		b.cg.killAll()
	} else if b.owns(pid) {
		KillGroup(pid, syscall.SIGKILL)
	}
}

// Close kills everything in the box, the boxed process included, waits
// for it to end, reaps the orphans this process adopted, and removes the
// cgroup. The boxed process itself is left for its starter to reap. Safe
// to call more than once.
func (b *Box) Close() error {
	b.mu.Lock()
	pid, closed := b.pid, b.closed
	b.closed = true
	b.mu.Unlock()
	if closed {
		return nil
	}
	killed := b.kill(pid, true)
	delete(killed, pid)
	reapLater(killed)
	setBoxed(pid, false)
	if b.cg != nil {
		return b.cg.remove(sweepFor)
	}
	return nil
}

// kill kills the box's processes (and the boxed process pid when all)
// until none is left, and returns those it killed.
func (b *Box) kill(pid int, all bool) map[int]procStat {
	killed := map[int]procStat{}
	if b.cg != nil && all {
		// Recorded first, to reap the ones this process adopted.
		for _, p := range b.cg.members() {
			if st, ok := readStat(p); ok {
				killed[p] = st
			}
		}
		b.cg.killAll()
	}
	_ = poll(sweepFor, func() bool {
		left := b.members(pid, all)
		for _, st := range left {
			syscall.Kill(st.pid, syscall.SIGKILL)
			killed[st.pid] = st
		}
		return len(left) == 0
	})
	return killed
}

// members lists the live processes in the box, the boxed process pid
// only when withSelf.
func (b *Box) members(pid int, withSelf bool) []procStat {
	var out []procStat
	if b.cg != nil {
		for _, p := range b.cg.members() {
			if p == pid && !withSelf {
				continue
			}
			if st, ok := readStat(p); ok && !st.dead() {
				out = append(out, st)
			}
		}
		return out
	}
	if pid <= 0 {
		return nil
	}
	own := b.owns(pid)
	tab := table()
	kids := make(map[int][]procStat, len(tab))
	for _, st := range tab {
		kids[st.ppid] = append(kids[st.ppid], st)
	}
	in := map[int]procStat{}
	var add func(st procStat)
	add = func(st procStat) {
		if _, seen := in[st.pid]; seen {
			return
		}
		in[st.pid] = st
		for _, c := range kids[st.pid] {
			add(c)
		}
	}
	// Below the process; then what is left of its session and group.
	for _, st := range tab {
		if own && st.pid != pid && (st.ppid == pid || st.session == pid || st.pgrp == pid) {
			add(st)
		}
	}
	// Orphans this process adopted that carry the box's token. Orphans
	// are adopted by the nearest subreaper above their dead parent: the
	// boxed process while it lives, this process after.
	candidates := kids[os.Getpid()]
	if !subreaper.ok {
		candidates = tab // not a subreaper: orphans went to init
	}
	for _, st := range candidates {
		if _, seen := in[st.pid]; !seen && st.pid != pid && b.marks(st.pid) {
			add(st)
		}
	}
	for p, st := range in {
		if p != os.Getpid() {
			out = append(out, st)
		}
	}
	if withSelf {
		if st, ok := readStat(pid); ok && !st.dead() && st.start == b.start {
			out = append(out, st)
		}
	}
	return out
}

// quiet reports, cheaply, that a subreaper box holds nothing but its
// process pid, so that the sweep after most trials costs a few reads
// rather than a scan of /proc: pid has no child (it is a subreaper, so
// what it started and lost stays below it), and no child of this process
// but the boxed processes of live boxes belongs to pid's session or group
// or carries the box's token (what was orphaned after pid died, or below
// a pid that is no subreaper). False when it cannot tell.
func (b *Box) quiet(pid int) bool {
	if b.cg != nil {
		return false // cgroup.procs is as cheap
	}
	if kids, ok := children(pid); !ok || len(kids) > 0 {
		return false
	}
	kids, ok := children(os.Getpid())
	if !ok {
		return false
	}
	for _, c := range kids {
		if c == pid || boxed(c) {
			continue
		}
		st, ok := readStat(c)
		if ok && !st.dead() && (st.session == pid || st.pgrp == pid || b.marks(c)) {
			return false
		}
	}
	return true
}

// children lists pid's children from /proc/PID/task/*/children (Linux
// 3.5+ with CONFIG_PROC_CHILDREN); ok is false when that cannot be read.
func children(pid int) (kids []int, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // the thread ended
			}
			return nil, false
		}
		for _, f := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(f); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids, true
}

// The boxed processes of this process's live boxes: children of this
// process that are no box's orphans.
var live struct {
	sync.Mutex
	pids map[int]bool
}

func boxed(pid int) bool {
	live.Lock()
	defer live.Unlock()
	return live.pids[pid]
}

func setBoxed(pid int, on bool) {
	if pid <= 0 {
		return
	}
	live.Lock()
	defer live.Unlock()
	if live.pids == nil {
		live.pids = map[int]bool{}
	}
	if on {
		live.pids[pid] = true
	} else {
		delete(live.pids, pid)
	}
}

// marks reports whether process pid carries the box's token in its
// environment (as it was when it started its program).
func (b *Box) marks(pid int) bool {
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	want := []byte(BoxEnv + "=" + b.token)
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}

// subreaper records whether this process became a child subreaper.
var subreaper struct {
	once sync.Once
	ok   bool
}

func becomeSubreaper() {
	subreaper.once.Do(func() {
		subreaper.ok = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == nil
	})
}

// poll calls done until it reports true, at first at once, then at
// growing intervals, for up to d; it returns an error when d ran out.
func poll(d time.Duration, done func() bool) error {
	deadline := time.Now().Add(d)
	wait := time.Millisecond
	for !done() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(wait)
		wait = min(2*wait, 50*time.Millisecond)
	}
	return nil
}

// killUntil kills the processes list returns until it returns none, for
// up to d.
func killUntil(list func() []int, d time.Duration) {
	_ = poll(d, func() bool {
		pids := list()
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
		return len(pids) == 0
	})
}
