package proc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Trainer cgroups. Where a cgroup v2 hierarchy is mounted (at
// /sys/fs/cgroup, or at /sys/fs/cgroup/unified on a hybrid system) and
// this process may create groups in its own cgroup there, each box is a
// group automl-NS-PID-START/tN below it (NS the pid namespace, PID and
// START this process's id and start time). A process started into a group
// (clone3 with CLONE_INTO_CGROUP) cannot leave it without write access to
// the cgroup file system, so every descendant is found however it left its
// session, group or parent, and cgroup.kill ends them all at once.
var cgroups struct {
	once     sync.Once
	base     string // this process's group of boxes; "" when none
	why      string // why there is none
	seq      atomic.Int64
	disabled atomic.Pointer[string] // why no more cgroup boxes are made (a launch into one failed)

	mu   sync.Mutex
	open int // boxes in the base group; it exists while there are
}

// DisableCgroups makes every box made from now on a subreaper box, for
// the reason given.
func DisableCgroups(why string) { cgroups.disabled.Store(&why) }

// acquireBase returns this process's group of boxes, creating it for the
// first box in it, or "" with the reason when cgroups cannot be used here.
// The first call finds the hierarchy and ends what dead processes left
// there (see cleanStale). Each acquireBase that returns a group needs a
// releaseBase.
func acquireBase() (string, string) {
	cgroups.once.Do(func() { cgroups.base, cgroups.why = findBase() })
	if why := cgroups.disabled.Load(); why != nil {
		return "", *why
	}
	if cgroups.base == "" {
		return "", cgroups.why
	}
	cgroups.mu.Lock()
	defer cgroups.mu.Unlock()
	if cgroups.open == 0 {
		if err := os.Mkdir(cgroups.base, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return "", fmt.Sprintf("cannot create a cgroup: %v", err)
		}
	}
	cgroups.open++
	return cgroups.base, ""
}

// releaseBase removes the group of boxes once its last box is gone, so a
// process that ends leaves none behind.
func releaseBase() {
	cgroups.mu.Lock()
	defer cgroups.mu.Unlock()
	if cgroups.open--; cgroups.open == 0 {
		_ = os.Remove(cgroups.base)
	}
}

// findBase names this process's group of boxes, checks that it can be
// created, and cleans what dead processes left beside it.
func findBase() (string, string) {
	mount, root := cgroup2Mount()
	if mount == "" {
		return "", "no writable cgroup v2 hierarchy is mounted (/proc/self/mountinfo)"
	}
	own := ownCgroup()
	rel, ok := strings.CutPrefix(own, root)
	if own == "" || !ok {
		return "", fmt.Sprintf("this process's cgroup %q is not below the mounted hierarchy's root %q", own, root)
	}
	parent := filepath.Join(mount, rel)
	ns := pidNamespace()
	self, _ := readStat(os.Getpid())
	dir := filepath.Join(parent, fmt.Sprintf("automl-%s-%d-%d", ns, os.Getpid(), self.start))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Sprintf("cannot create a cgroup in %s: %v", parent, err)
	}
	_ = os.Remove(dir)
	cleanStale(parent, ns)
	return dir, ""
}

// cgroup2Mount finds where the cgroup v2 hierarchy is mounted, and the
// path of the hierarchy that mount shows (its root).
func cgroup2Mount() (mount, root string) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, fs := strings.Fields(pre), strings.Fields(post)
		if ok && len(fields) >= 6 && len(fs) > 0 && fs[0] == "cgroup2" && !slices.Contains(strings.Split(fields[5], ","), "ro") {
			return fields[4], fields[3]
		}
	}
	return "", ""
}

// ownCgroup is this process's path in the v2 hierarchy ("0::PATH").
func ownCgroup() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p
		}
	}
	return ""
}

// pidNamespace is the inode of this process's pid namespace ("4026531836"),
// so that groups left by a process of another namespace, whose pids mean
// nothing here, are never taken for stale.
func pidNamespace() string {
	l, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "0"
	}
	return strings.Trim(strings.TrimPrefix(l, "pid:"), "[]")
}

// cleanStale ends what a dead process of this pid namespace left in its
// groups of boxes (a worker killed with SIGKILL cannot clean up: trainers
// that escaped its parent-death signal by leaving their session live on in
// them) and removes the groups.
func cleanStale(parent, ns string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		f := strings.Split(e.Name(), "-")
		if !e.IsDir() || len(f) != 4 || f[0] != "automl" || f[1] != ns {
			continue
		}
		pid, err1 := strconv.Atoi(f[2])
		start, err2 := strconv.ParseUint(f[3], 10, 64)
		if err1 != nil || err2 != nil || pid == os.Getpid() {
			continue
		}
		if st, ok := readStat(pid); ok && st.start == start {
			continue // its owner runs
		}
		dir := filepath.Join(parent, e.Name())
		boxes, _ := os.ReadDir(dir)
		for _, b := range boxes {
			if b.IsDir() {
				c := &cgroup{dir: filepath.Join(dir, b.Name()), fd: -1}
				c.killAll()
				c.remove(2 * time.Second)
			}
		}
		_ = os.Remove(dir)
	}
}

// cgroup is one box's group.
type cgroup struct {
	dir   string
	fd    int  // the open directory, for CLONE_INTO_CGROUP; -1 once closed
	procs int  // cgroup.procs, open: read again (pread) at every sweep; -1 once closed
	based bool // holds a releaseBase
}

// newCgroup creates a box's group, or says why it cannot.
func newCgroup() (*cgroup, error) {
	base, why := acquireBase()
	if base == "" {
		return nil, errors.New(why)
	}
	dir := filepath.Join(base, "t"+strconv.FormatInt(cgroups.seq.Add(1), 10))
	if err := os.Mkdir(dir, 0o755); err != nil {
		releaseBase()
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		_ = os.Remove(dir)
		releaseBase()
		return nil, fmt.Errorf("open cgroup %s: %w", dir, err)
	}
	// Kept open: a sweep at every trial's end then costs one system call
	// (pread from 0 makes the kernel list the group again), not five.
	procs, err := syscall.Openat(fd, "cgroup.procs", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		procs = -1
	}
	return &cgroup{dir: dir, fd: fd, procs: procs, based: true}, nil
}

func (c *cgroup) closeFD() {
	for _, fd := range []*int{&c.fd, &c.procs} {
		if *fd >= 0 {
			_ = syscall.Close(*fd)
			*fd = -1
		}
	}
}

// members lists the group's processes.
func (c *cgroup) members() []int {
	var b []byte
	buf := make([]byte, 4096)
	if n, err := syscall.Pread(c.procs, buf, 0); c.procs >= 0 && err == nil && n < len(buf) {
		b = buf[:n]
	} else {
		var err error
		if b, err = os.ReadFile(filepath.Join(c.dir, "cgroup.procs")); err != nil {
			return nil
		}
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// killAll sends SIGKILL to every process of the group: at once through
// cgroup.kill (Linux 5.14+), else one by one until none is left.
func (c *cgroup) killAll() {
	if os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0) == nil {
		return
	}
	killUntil(c.members, 5*time.Second)
}

// populated reports whether a process is left in the group.
func (c *cgroup) populated() bool {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.events"))
	if err != nil {
		return len(c.members()) > 0
	}
	return strings.Contains(string(b), "populated 1")
}

// remove waits up to d for the group to empty and removes it.
func (c *cgroup) remove(d time.Duration) error {
	c.closeFD()
	if c.based {
		c.based = false
		defer releaseBase()
	}
	err := poll(d, func() bool {
		if c.populated() {
			return false
		}
		err := os.Remove(c.dir)
		return err == nil || errors.Is(err, os.ErrNotExist)
	})
	if err != nil {
		return fmt.Errorf("cgroup %s still holds processes %v after %v", c.dir, c.members(), d)
	}
	return nil
}
