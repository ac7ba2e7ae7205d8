package plugins

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"automl/trial"
)

// HostOptions say how a worker slot launches plugins.
type HostOptions struct {
	// Self is the binary serving built-in trainers (default: this
	// executable), run as Self SelfArgs... NAME.
	Self string
	// SelfArgs precede the trainer name (default: plugin serve).
	SelfArgs []string
	// PluginDir, when set, is the only place external plugins run from:
	// trainer.plugin must then be a local path inside it (no "..", no
	// absolute path, no symlink out of it). Empty: paths are taken as given.
	PluginDir string
	// Env is every plugin's environment (default: BaseEnv()).
	Env []string
	// GPUs of the slot (see Config.GPUs).
	GPUs []string
	// StartTimeout, StopGrace, MaxMessageSize and Stderr: see Config.
	StartTimeout   time.Duration
	StopGrace      time.Duration
	MaxMessageSize int
	Stderr         io.Writer
}

// ConfigFor says which process runs a trainer, and whether a process may
// be kept for the next trial (trainer.reuse; by default yes for built-in
// trainers, no for external binaries). A trainer.plugin with a slash is an
// external binary; any other name is a built-in served by Self.
func (o HostOptions) ConfigFor(t trial.Trainer) (Config, bool, error) {
	cfg := Config{
		Env:            o.Env,
		GPUs:           o.GPUs,
		SHA256:         t.SHA256,
		StartTimeout:   o.StartTimeout,
		StopGrace:      o.StopGrace,
		MaxMessageSize: o.MaxMessageSize,
		Stderr:         o.Stderr,
	}
	if cfg.Env == nil {
		cfg.Env = BaseEnv()
	}
	builtin := !strings.Contains(t.Plugin, "/")
	if builtin {
		self := o.Self
		if self == "" {
			exe, err := os.Executable()
			if err != nil {
				return Config{}, false, fmt.Errorf("find the automl binary to serve %s: %w", t.Plugin, err)
			}
			self = exe
		}
		args := o.SelfArgs
		if args == nil {
			args = []string{"plugin", "serve"}
		}
		cfg.Path = self
		cfg.Args = append(slices.Clone(args), canonicalName(t.Plugin))
	} else {
		path, err := o.resolve(t.Plugin)
		if err != nil {
			return Config{}, false, err
		}
		cfg.Path = path
	}
	reuse := builtin
	if t.Reuse != nil {
		reuse = *t.Reuse
	}
	return cfg, reuse, nil
}

// resolve places an external plugin path inside PluginDir when one is set;
// os.Root refuses names that escape it, through ".." or a symlink.
func (o HostOptions) resolve(name string) (string, error) {
	if o.PluginDir == "" {
		return name, nil
	}
	rel := filepath.Clean(name)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%w: %s: plugins run only from %s; give a path inside it", ErrBinary, name, o.PluginDir)
	}
	root, err := os.OpenRoot(o.PluginDir)
	if err != nil {
		return "", fmt.Errorf("%w: plugin directory: %v", ErrBinary, err)
	}
	defer root.Close()
	if _, err := root.Stat(rel); err != nil {
		return "", fmt.Errorf("%w: %s in plugin directory %s: %v", ErrBinary, name, o.PluginDir, err)
	}
	return filepath.Join(o.PluginDir, rel), nil
}

// Slot is a worker slot's runner: it starts the process each job needs,
// keeps it for the next job of the same trainer when reuse is on, and
// replaces a process that crashed, broke the protocol or was killed.
// Run is not for concurrent use (a slot runs one trial at a time); Close
// may be called at any time.
type Slot struct {
	opts HostOptions

	mu     sync.Mutex
	cur    *Plugin
	curKey string
	closed bool
}

// NewSlot returns a slot launching plugins as opts say.
func NewSlot(opts HostOptions) *Slot { return &Slot{opts: opts} }

// Run runs the job in a plugin process.
func (s *Slot) Run(ctx context.Context, spec trial.Spec, rep trial.Reporter) (trial.Result, error) {
	cfg, reuse, err := s.opts.ConfigFor(spec.Trainer)
	if err != nil {
		return trial.Result{}, err
	}
	p, err := s.plugin(cfg)
	if err != nil {
		return trial.Result{}, err
	}
	res, err := p.Run(ctx, spec, rep)
	if !reuse || !p.Healthy() {
		s.drop(p)
	}
	return res, err
}

// plugin returns the kept process when it fits cfg and is healthy, or
// starts a new one.
func (s *Slot) plugin(cfg Config) (*Plugin, error) {
	key := strings.Join(append([]string{cfg.Path, cfg.SHA256}, cfg.Args...), "\x00")
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: slot closed", trial.ErrLost)
	}
	cur := s.cur
	if cur != nil && s.curKey == key && cur.Healthy() {
		s.mu.Unlock()
		return cur, nil
	}
	s.cur = nil
	s.mu.Unlock()
	if cur != nil {
		cur.Kill()
	}
	p, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		p.Kill()
		return nil, fmt.Errorf("%w: slot closed", trial.ErrLost)
	}
	s.cur, s.curKey = p, key
	return p, nil
}

func (s *Slot) drop(p *Plugin) {
	s.mu.Lock()
	if s.cur == p {
		s.cur = nil
	}
	s.mu.Unlock()
	p.Kill()
}

// Pid is the kept process's id (0 when none): for tests and diagnostics.
func (s *Slot) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return 0
	}
	return s.cur.Pid()
}

// Close kills the kept process; a running trial fails.
func (s *Slot) Close() error {
	s.mu.Lock()
	s.closed = true
	cur := s.cur
	s.cur = nil
	s.mu.Unlock()
	if cur != nil {
		cur.Kill()
	}
	return nil
}
