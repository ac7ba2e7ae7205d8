package plugins

import (
	"context"
	"fmt"
	"os"
	"sync"

	"automl/plugins/internal/proc"
	"automl/trial"
)

// Slot is a worker slot's runner: it starts the process each job needs,
// keeps it for the next job of the same trainer when reuse is on, and
// replaces a process that crashed, broke the protocol or was killed.
//
// A process runs two trials only when both allow reuse, so a trainer
// without reuse pays a launch (exec, runtime start, AutoMTLS keys and
// handshake: 100-150 ms on an idle machine) per trial. The slot takes that launch off the
// trial's critical path: when a trial starts in a process that will not
// be kept, the slot launches the next trial's process (a spare) beside it,
// with the same config; when a kept process crashes, it launches the
// replacement at once. The next trial takes the spare, waiting for the
// rest of its launch if it is still starting, only if it would have been
// launched exactly so for that trial: same binary path, pin, arguments,
// environment (CUDA_VISIBLE_DEVICES included) and working directory, the
// binary file unchanged on disk since, and the spare still alive and never
// used. Otherwise the spare is killed and a process is launched as
// without one. A spare is launched by Open like any process (checksum
// first, own session, allowlisted environment, AutoMTLS, parent-death
// signal), so it dies with the slot (Close) or with the worker, and it
// runs no trial code until a trial is sent to it. It costs an idle process
// per slot between trials, and a launch's CPU time (mostly AutoMTLS keys)
// beside the running trial; HostOptions.NoPrelaunch turns it off for a
// slot, trainer.prelaunch: false for a trainer (one that takes GPU memory
// before it serves would hold it twice).
//
// Run is not for concurrent use (a slot runs one trial at a time); Close
// may be called at any time.
type Slot struct {
	opts HostOptions

	mu     sync.Mutex
	cur    *Plugin // the process of the running or last trial, while usable
	curKey string
	spare  *spare // the next trial's process, launching or launched
	closed bool
	bg     sync.WaitGroup // launches and reaps in the background; Add only under mu while !closed
}

// spare is a process launched ahead of the trial that will take it. done
// is closed when the launch has ended, with p or err set. Whoever removes
// it from Slot.spare owns it and must kill p.
type spare struct {
	key  string
	done chan struct{}
	bin  os.FileInfo // the binary as it was before the launch (nil: unknown)
	p    *Plugin
	err  error
}

// NewSlot returns a slot launching plugins as opts say.
func NewSlot(opts HostOptions) *Slot { return &Slot{opts: opts} }

func errSlotClosed() error { return fmt.Errorf("%w: slot closed", trial.ErrLost) }

// configKey identifies the processes interchangeable for a trial:
// everything of cfg that goes into a launch or that a Plugin keeps, but
// Stderr (a writer, fixed by the slot's options).
func configKey(cfg Config) string {
	return fmt.Sprintf("%q %q %q %q %q %d %d %d %v",
		cfg.Path, cfg.SHA256, cfg.Dir, cfg.Args, cfg.env(),
		cfg.StartTimeout, cfg.StopGrace, cfg.MaxMessageSize, cfg.NoCgroup)
}

// Run runs the job in a plugin process.
func (s *Slot) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	cfg, reuse, err := s.opts.ConfigFor(spec.Trainer)
	if err != nil {
		return trial.Result{}, err
	}
	key := configKey(cfg)
	p, err := s.take(cfg, key, reuse)
	if err != nil {
		return trial.Result{}, err
	}
	early := spec.Trainer.Prelaunch == nil || *spec.Trainer.Prelaunch
	if !reuse && early {
		s.prelaunch(cfg, key)
	}
	res, err := p.Run(ctx, spec, rep)
	if !reuse || !p.Healthy() {
		s.retire(p)
		if reuse && early {
			s.prelaunch(cfg, key) // the crashed process's replacement
		}
	}
	return res, err
}

// take returns the process for a trial: the kept one when both it and the
// trial allow reuse and it fits and is healthy, else the spare when it
// fits (see Slot), else a new one. What is not taken is killed, but a
// fitting spare while the kept process runs the trial.
func (s *Slot) take(cfg Config, key string, reuse bool) (*Plugin, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errSlotClosed()
	}
	cur, sp := s.cur, s.spare
	// Exists: go-plugin learns of an exit only once the process's output
	// is drained, and a kept process may have died since its last trial.
	if reuse && cur != nil && s.curKey == key && cur.Healthy() && proc.Exists(cur.Pid()) {
		if sp != nil && sp.key != key {
			s.spare = nil
		} else {
			sp = nil
		}
		s.mu.Unlock()
		if sp != nil {
			s.discard(sp)
		}
		return cur, nil
	}
	s.cur, s.spare = nil, nil
	s.mu.Unlock()
	if cur != nil {
		s.retire(cur)
	}
	var p *Plugin
	if sp != nil && sp.key == key {
		p = s.claim(sp, cfg.Path)
	} else if sp != nil {
		s.discard(sp)
	}
	if p == nil {
		var err error
		if p, err = Open(cfg); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		p.Kill()
		return nil, errSlotClosed()
	}
	s.cur, s.curKey = p, key
	return p, nil
}

// claim waits for the launch of a spare whose key fits and returns its
// process, or nil (having killed it) when the launch failed, the process
// died while idle, or the binary at path changed since the launch. A
// failed launch is not reported but tried again by the caller: it may
// have failed for the load of the moment, and the caller's error is then
// the current one.
func (s *Slot) claim(sp *spare, path string) *Plugin {
	<-sp.done
	if sp.err != nil {
		return nil
	}
	// go-plugin reports an exit only once the process's output is drained,
	// so a spare that just died (killed while idle, say) is also looked up
	// in /proc: handed to the trial, it would fail it as a crash. (Tens of
	// microseconds: too dear for every trial of a kept process.)
	now, err := os.Stat(path)
	if sp.bin != nil && err == nil && os.SameFile(sp.bin, now) &&
		sp.bin.Size() == now.Size() && sp.bin.ModTime().Equal(now.ModTime()) &&
		sp.p.Healthy() && proc.Alive(sp.p.Pid()) {
		return sp.p
	}
	s.retire(sp.p)
	return nil
}

// prelaunch starts the next trial's process in the background, unless
// turned off or a spare is already there.
func (s *Slot) prelaunch(cfg Config, key string) {
	if s.opts.NoPrelaunch {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.spare != nil {
		return
	}
	sp := &spare{key: key, done: make(chan struct{})}
	s.spare = sp
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer close(sp.done)
		// Stat first: a binary replaced between the stat and the exec
		// then shows as changed when the spare is claimed (a wasted
		// launch), never the other way round.
		if fi, err := os.Stat(cfg.Path); err == nil {
			sp.bin = fi
		}
		sp.p, sp.err = Open(cfg)
	}()
}

// discard kills an unwanted spare once its launch has ended.
func (s *Slot) discard(sp *spare) {
	s.background(func() {
		<-sp.done
		if sp.p != nil {
			sp.p.Kill()
		}
	})
}

// retire kills a process that runs no further trial. Its box (a cgroup:
// everything in it) or, in a subreaper box, its process group gets SIGKILL
// before retire returns; the rest of the box is killed, the box removed
// and the process reaped in the background, off the next trial's critical
// path (the wait for go-plugin to see the exit, and in a subreaper box a
// /proc scan, cost milliseconds on a busy machine). After a trial that
// ended normally that rest is empty: Plugin.Run swept the box at the
// trial's end, the plugin process aside, and a stopped, timed-out or
// crashed trial has had its whole box killed by Plugin.Run already.
func (s *Slot) retire(p *Plugin) {
	s.mu.Lock()
	if s.cur == p {
		s.cur = nil
	}
	s.mu.Unlock()
	p.killGroup()
	s.background(p.Kill)
}

// background runs f on its own goroutine, which Close waits for; once the
// slot is closed it runs f before returning.
func (s *Slot) background(f func()) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		f()
		return
	}
	s.bg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.bg.Done()
		f()
	}()
}

// Pid is the process id of the running or last trial's process while the
// slot holds it (0 when none): for tests and diagnostics.
func (s *Slot) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return 0
	}
	return s.cur.Pid()
}

// SparePid is the process id of the spare once launched (0 when none or
// still launching): for tests and diagnostics.
func (s *Slot) SparePid() int {
	s.mu.Lock()
	sp := s.spare
	s.mu.Unlock()
	if sp == nil {
		return 0
	}
	select {
	case <-sp.done:
		if sp.p != nil {
			return sp.p.Pid()
		}
	default:
	}
	return 0
}

// Close kills every process of the slot (a running trial fails) and
// returns once they are reaped, waiting for a spare's launch in progress
// to end. A launch Run itself is doing when Close comes is killed when it
// ends, by Run.
func (s *Slot) Close() error {
	s.mu.Lock()
	s.closed = true
	cur, sp := s.cur, s.spare
	s.cur, s.spare = nil, nil
	s.mu.Unlock()
	if cur != nil {
		cur.Kill()
	}
	if sp != nil {
		<-sp.done
		if sp.p != nil {
			sp.p.Kill()
		}
	}
	s.bg.Wait()
	return nil
}
