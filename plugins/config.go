package plugins

import (
	"io"
	"os"
	"strings"
	"time"
)

// Config says how to start one plugin process.
type Config struct {
	// Path is the plugin binary: an external plugin, or the automl binary
	// itself with Args {"plugin", "serve", NAME} for a built-in trainer.
	Path string
	Args []string
	// Env is the plugin's whole environment ("KEY=value"): nothing of the
	// host's is inherited, so no credential leaks into training code.
	// BaseEnv gives a safe start.
	Env []string
	// GPUs, when not nil, sets CUDA_VISIBLE_DEVICES to them joined with
	// commas (an empty, non-nil list hides every GPU).
	GPUs []string
	// SHA256 pins the binary (hex); checked before launch, and the verified
	// copy is what runs.
	SHA256 string
	// Dir is the plugin's working directory (default: the host's).
	Dir string
	// StartTimeout bounds the launch and handshake (default 10s).
	StartTimeout time.Duration
	// StopGrace is how long a stopped or timed-out trial may take to return
	// its result before the plugin's whole session is killed (default 2s).
	StopGrace time.Duration
	// MaxMessageSize caps each message the host accepts from the plugin
	// (default 4 MiB): a bigger report fails the trial, not the host.
	MaxMessageSize int
	// Stderr, when set, receives the plugin's stderr (and its stdout after
	// the handshake) as it is written: the trainer's log.
	Stderr io.Writer
	// NoCgroup holds the process in a subreaper box even where a cgroup
	// v2 hierarchy is writable (see Open): for tests of that path, and
	// for hosts whose cgroups something else manages.
	NoCgroup bool
}

const (
	defaultStartTimeout   = 10 * time.Second
	defaultStopGrace      = 2 * time.Second
	defaultMaxMessageSize = 4 << 20
	stderrTailSize        = 64 << 10
)

func (c Config) withDefaults() Config {
	if c.StartTimeout <= 0 {
		c.StartTimeout = defaultStartTimeout
	}
	if c.StopGrace <= 0 {
		c.StopGrace = defaultStopGrace
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = defaultMaxMessageSize
	}
	return c
}

// env is the environment the plugin gets: Env, then CUDA_VISIBLE_DEVICES
// (replacing any in Env).
func (c Config) env() []string {
	out := make([]string, 0, len(c.Env)+1)
	for _, kv := range c.Env {
		if c.GPUs != nil && strings.HasPrefix(kv, "CUDA_VISIBLE_DEVICES=") {
			continue
		}
		out = append(out, kv)
	}
	if c.GPUs != nil {
		out = append(out, "CUDA_VISIBLE_DEVICES="+strings.Join(c.GPUs, ","))
	}
	return out
}

// BaseEnvKeys are the host variables BaseEnv passes on: what programs need
// to run (a PATH to find python3, a HOME, the locale, a temp directory, the
// dynamic loader's path for CUDA libraries) and nothing that holds secrets.
var BaseEnvKeys = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "LD_LIBRARY_PATH"}

// BaseEnv returns the host's values of BaseEnvKeys plus extra: an
// allowlist, never the host's whole environment.
func BaseEnv(extra ...string) []string {
	var out []string
	for _, k := range BaseEnvKeys {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return append(out, extra...)
}

// TrainerEnv is the environment a trainer passes to programs it starts.
// Inside a plugin process it is the plugin's own (already the host's
// allowlist) less the variables of go-plugin's handshake; anywhere else (a
// trainer run in-process) it is BaseEnv, so a worker's credentials never
// reach training code either way.
func TrainerEnv() []string {
	if _, inPlugin := os.LookupEnv(handshake.MagicCookieKey); !inPlugin {
		return BaseEnv()
	}
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, handshake.MagicCookieKey+"=") || strings.HasPrefix(kv, "PLUGIN_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
