package plugins

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"automl/plugins/internal/proc"
	"automl/plugins/internal/trainerpb"
	"automl/trial"
)

// Plugin is one running plugin process; it is a trial.Runner. Run trials
// on it one at a time. The process runs in a box (a cgroup, or the
// subreaper's watch; see proc.Box) with everything it starts: when a
// trial ends, whatever it left running is killed, the process itself
// aside. Kill (or Close) it when done: that kills the whole box. A Plugin
// that crashed, broke the protocol or was killed runs no further trial
// (Healthy reports false); start a new one.
type Plugin struct {
	cfg     Config
	name    string // the command line, for messages
	client  *plugin.Client
	cmd     *exec.Cmd // its ProcessState is go-plugin's to set; read it once client.Exited()
	rpc     trainerpb.TrainerClient
	pid     int
	box     *proc.Box // the process and everything it starts
	stderr  *tail
	out     *output       // its output, as lines for the running trial's log
	release chan struct{} // closed after the process is gone: ends its locked thread
	cleanup func()        // removes a verified private copy of the binary and the socket directory
	sockets string        // the directory the plugin makes its unix socket in

	mu     sync.Mutex
	busy   bool
	broken error // why it may run no further trial
	kill   sync.Once
}

// errKilled marks a plugin its host killed.
var errKilled = errors.New("killed by the host")

// Open checks the binary and starts the plugin process: in a box of its
// own (a cgroup where cgroup v2 is writable and cfg.NoCgroup is false,
// else a subreaper box), its own session and process group, only cfg's
// environment, mutual TLS, a parent-death signal, and a capped message
// size. It returns once the handshake is done.
// A binary that is missing, not executable or fails its pin is rejected
// before launch (ErrBinary); a process that fails the handshake is killed
// and reported (ErrHandshake and trial.ErrLost).
func Open(cfg Config) (*Plugin, error) {
	cfg = cfg.withDefaults()
	path, removeCopy, err := checkBinary(cfg.Path, cfg.SHA256)
	if err != nil {
		return nil, err
	}
	// The plugin's go-plugin server makes its unix socket in
	// PLUGIN_UNIX_SOCKET_DIR (else in its TMPDIR) and removes it only when
	// it exits cleanly; a killed plugin (every Kill is SIGKILL) left one
	// socket file behind per process. A directory of its own, removed with
	// it, leaves nothing.
	sockets, err := os.MkdirTemp("", "automl-plugin-")
	if err != nil {
		removeCopy()
		return nil, fmt.Errorf("plugin %s: a directory for its socket: %w", cfg.Path, err)
	}
	cleanup := func() {
		removeCopy()
		os.RemoveAll(sockets)
	}
	p := &Plugin{
		sockets: sockets,
		cfg:     cfg,
		name:    strings.Join(append([]string{cfg.Path}, cfg.Args...), " "),
		stderr:  newTail(stderrTailSize),
		out:     newOutput(cfg.Stderr),
		release: make(chan struct{}),
		cleanup: cleanup,
	}
	noCgroup := cfg.NoCgroup
	for attempt := 1; ; attempt++ {
		p.box = proc.NewBox(noCgroup)
		err = p.launch(path)
		if errors.Is(err, errCgroupLaunch) {
			// Starting into the cgroup failed (a kernel without clone3,
			// a group the system manages): try without, and if that
			// works, make no more cgroup boxes.
			noCgroup = true
			if err = p.launch2(path); err == nil {
				proc.DisableCgroups(fmt.Sprintf("starting %s into a cgroup failed", p.name))
			}
		}
		// A just-written private copy can be briefly "text file busy" while
		// another goroutine forks (golang/go#22315): try again.
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || attempt == 5 {
			break
		}
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
	if err != nil {
		cleanup()
		return nil, err
	}
	return p, nil
}

// launch starts the process and completes the handshake, on a locked OS
// thread that lives as long as the process (Pdeathsig).
func (p *Plugin) launch(path string) error {
	cmd := exec.Command(path, p.cfg.Args...)
	cmd.Dir = p.cfg.Dir
	cmd.Env = append(p.cfg.env(), p.box.Env(), plugin.EnvUnixSocketDir+"="+p.sockets)
	cmd.SysProcAttr = proc.SessionAttr()
	p.box.Attr(cmd.SysProcAttr)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugin.PluginSet{pluginName: &grpcPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     p.cfg.StartTimeout,
		Stderr:           io.MultiWriter(p.stderr, p.out.stderr()),
		SyncStdout:       io.MultiWriter(p.stderr, p.out.syncStdout()),
		SyncStderr:       io.MultiWriter(p.stderr, p.out.syncStderr()),
		Logger:           hclog.NewNullLogger(),
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(p.cfg.MaxMessageSize)),
		},
	})
	return proc.Locked(func() error {
		rpc, err := client.Client()
		if err == nil {
			var raw any
			if raw, err = rpc.Dispense(pluginName); err == nil {
				p.rpc = raw.(trainerpb.TrainerClient)
			}
		}
		if cmd.Process != nil {
			p.pid = cmd.Process.Pid
		}
		p.box.Started(p.pid)
		if err != nil {
			p.box.Close()
			client.Kill()
			if p.pid == 0 && p.box.LaunchFailed(err) {
				return fmt.Errorf("%w: %w", errCgroupLaunch, err)
			}
			return p.handshakeError(err)
		}
		p.client, p.cmd = client, cmd
		return nil
	}, p.release)
}

// errCgroupLaunch marks a launch that failed starting into its cgroup.
var errCgroupLaunch = errors.New("cannot start into a cgroup")

// launch2 launches again, in a subreaper box, after a launch into a
// cgroup failed.
func (p *Plugin) launch2(path string) error {
	p.box = proc.NewBox(true)
	p.pid = 0
	return p.launch(path)
}

// handshakeError explains a failed launch in the user's terms.
func (p *Plugin) handshakeError(err error) error {
	msg := err.Error()
	const unrecognized = "Unrecognized remote plugin message: "
	switch {
	case errors.Is(err, syscall.ETXTBSY):
		return fmt.Errorf("start plugin %s: %w", p.name, err)
	case strings.HasPrefix(msg, unrecognized):
		line, _, _ := strings.Cut(strings.TrimPrefix(msg, unrecognized), "\n")
		if line == "" {
			return &handshakeFailure{p.name, "printed nothing on stdout and closed it; is it a plugin (plugins.Serve in main)?" + p.stderrNote()}
		}
		return &handshakeFailure{p.name, fmt.Sprintf("printed %q to stdout before the handshake; plugins.Serve must run first in main and nothing may print to stdout before it", line)}
	case strings.Contains(msg, "exited before we could connect"):
		return &handshakeFailure{p.name, "exited before the handshake" + p.stderrNote()}
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return &handshakeFailure{p.name, fmt.Sprintf("did not complete the handshake within %v%s", p.cfg.StartTimeout, p.stderrNote())}
	}
	return &handshakeFailure{p.name, fmt.Sprintf("did not start: %v%s", strings.TrimSpace(msg), p.stderrNote())}
}

// handshakeFailure is a process that started but did not complete the
// handshake: how it failed, in the plugin author's terms. In a trial it
// is a lost run (ErrLost); before the first trial (Check), a binary that
// is not an automl plugin.
type handshakeFailure struct {
	name string // the command line
	how  string
}

func (e *handshakeFailure) Error() string {
	return fmt.Sprintf("%v: %v: plugin %s %s", trial.ErrLost, ErrHandshake, e.name, e.how)
}

func (e *handshakeFailure) Unwrap() []error { return []error{trial.ErrLost, ErrHandshake} }

// notPlugin is a binary that failed the handshake when Check started it.
type notPlugin struct{ *handshakeFailure }

func (e notPlugin) Error() string {
	return fmt.Sprintf("%s is not an automl plugin: it %s", e.name, e.how)
}

func (e notPlugin) Unwrap() error { return ErrHandshake }

// Check starts the plugin cfg describes as a trial would, completes the
// handshake and ends it: a binary that is missing, not executable, fails
// its pin or is not an automl plugin is refused once, before a study's
// first trial, instead of failing every trial (or, for a process that
// never completes the handshake, being re-run as lost).
func Check(cfg Config) error {
	p, err := Open(cfg)
	var hf *handshakeFailure
	switch {
	case errors.As(err, &hf):
		return notPlugin{hf}
	case err != nil:
		return err
	}
	p.Kill()
	return nil
}

func (p *Plugin) stderrNote() string {
	if s := crashExcerpt(p.stderr.String()); s != "" {
		return "; its stderr ends:\n" + s
	}
	return ""
}

// Pid is the plugin process's id, which is also its session and process
// group id.
func (p *Plugin) Pid() int { return p.pid }

// Healthy reports whether the process may run another trial.
func (p *Plugin) Healthy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.broken == nil && !p.client.Exited()
}

// Stderr returns the last 64 KiB the plugin wrote to stderr.
func (p *Plugin) Stderr() string { return p.stderr.String() }

func (p *Plugin) markBroken(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken == nil {
		p.broken = err
	}
}

// Kill kills the plugin's whole box at once (the plugin, its children,
// their children, wherever they went) and releases what the host held
// for it. It returns after the process has been reaped (or after a few
// seconds when a process stuck in the kernel holds its output open). Safe
// to call more than once and concurrently with Run, which then fails.
func (p *Plugin) Kill() {
	p.kill.Do(func() {
		p.markBroken(errKilled)
		done := make(chan struct{})
		go func() {
			p.box.Close()
			p.client.Kill()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		close(p.release)
		p.cleanup()
	})
}

// killGroup marks the plugin broken and sends SIGKILL to its box
// (cgroup.kill) or, in a subreaper box, to its process group: one system
// call, where Kill's wait (and in a subreaper box its scan of /proc) costs
// milliseconds. A slot retiring a process after its trial calls it on the
// next trial's critical path, then Kill in the background (see
// Slot.retire).
func (p *Plugin) killGroup() {
	p.markBroken(errKilled)
	p.box.Kill()
}

// Containment says how the plugin's processes are held: "cgroup DIR" or
// "subreaper (why not a cgroup)".
func (p *Plugin) Containment() string { return p.box.Kind() }

// Containment says how this process holds the trainer processes it
// starts (see Open): in a cgroup each, below a group it names, or as a
// subreaper (and why not in cgroups). The first call also ends what dead
// workers of this machine left running in their cgroups.
func Containment() string {
	b := proc.NewBox(false)
	defer b.Close()
	if dir, ok := strings.CutPrefix(b.Kind(), "cgroup "); ok {
		return "cgroup v2: a group per trainer process in " + filepath.Dir(dir)
	}
	return b.Kind()
}

// sweep kills what the trial that just ended left running in the box
// (the plugin process aside, which may run the next trial).
func (p *Plugin) sweep() { p.box.Sweep() }

// Close kills the plugin (see Kill); a trainer keeps nothing that a clean
// shutdown would save.
func (p *Plugin) Close() error {
	p.Kill()
	return nil
}
