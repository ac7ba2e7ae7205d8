package plugins

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	// NoPrelaunch turns off launching a trial's process ahead of it (see
	// Slot): every fresh process is then launched on the trial's critical
	// path. For plugins that do heavy work or take GPU memory at startup,
	// before any trial: a spare would do it beside the running trial, on
	// the slot's GPUs.
	NoPrelaunch bool
	// StartTimeout, StopGrace, MaxMessageSize, Stderr and NoCgroup: see
	// Config.
	StartTimeout   time.Duration
	StopGrace      time.Duration
	MaxMessageSize int
	Stderr         io.Writer
	NoCgroup       bool
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
		NoCgroup:       o.NoCgroup,
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
		cfg.Args = append(slices.Clone(args), t.Plugin)
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
