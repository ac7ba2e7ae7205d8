package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// DefaultSyncAlways is whether an embedded server fsyncs every message
// before acknowledging it (see WithSyncAlways). Off by default: the server
// then makes about four fsyncs per trial, and on the project's 2-core VM
// the transport alone managed 130-720 trials/s with them against 1200-4700
// without (BenchmarkRoundTrip, the spread is the shared disk's load), too
// close to the product's 500 trials/s goal. The embedded server's exposure
// is small: a process kill loses nothing (writes reach the OS before the
// ack), and after an OS crash the scheduler, which restarts with it,
// reconciles against bbolt (fsynced on every commit): jobs of pending or
// running trials are dispatched again, so an event lost in that window
// costs a rerun, never a result.
const DefaultSyncAlways = false

// ErrStoreInUse is returned when another server (in this process or
// another) already runs on the store directory.
var ErrStoreInUse = errors.New("nats store directory is in use")

// lockName is the lock file in the store directory: nats-server itself
// does not stop two servers from sharing one (PITFALLS 1.5).
const lockName = "automl-nats.lock"

type embeddedConfig struct {
	host       string
	port       int
	syncAlways bool
	log        *slog.Logger
	ready      time.Duration
	auth       Credentials
	fleet      *fleetConfig
	storage    int64
}

// maxMemory is the embedded server's JetStream memory limit: its streams
// are all on disk.
const maxMemory = 64 << 20

// EmbeddedOption configures StartEmbedded.
type EmbeddedOption func(*embeddedConfig) error

// WithListen exposes the server on addr ("host:port"; port 0 picks one), so
// workers in other processes can join. Without it the server listens on a
// random loopback port.
func WithListen(addr string) EmbeddedOption {
	return func(c *embeddedConfig) error {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("listen address %q: %w", addr, err)
		}
		port, err := strconv.Atoi(p)
		if err != nil || port < 0 || port > 65535 {
			return fmt.Errorf("listen address %q: bad port", addr)
		}
		if port == 0 {
			port = -1 // nats-server's "random"
		}
		c.host, c.port = host, port
		return nil
	}
}

// WithSyncAlways sets whether every stored message is fsynced before its
// publish is acknowledged (default DefaultSyncAlways). Off, the server
// fsyncs every two minutes, and an OS crash or power cut (not a process
// kill) can lose acknowledged jobs and events of that window; the
// scheduler's reconciliation against the store reruns their trials. A
// server that outlives its schedulers (a fleet's) should sync always. See
// PITFALLS 1.2-1.3.
func WithSyncAlways(on bool) EmbeddedOption {
	return func(c *embeddedConfig) error { c.syncAlways = on; return nil }
}

// WithStorage sets how much JetStream may keep on disk in the store
// directory: the limit its streams and the checkpoint store share (see
// StreamOptions.Storage; pass Storage() to the Dispatcher). Zero, the
// default, takes DefaultStorage, or half the space the disk offers when
// that is less. At least MinStorage, at most what the disk has free.
func WithStorage(bytes int64) EmbeddedOption {
	return func(c *embeddedConfig) error {
		if bytes < 0 {
			return fmt.Errorf("storage limit %d: must be >= 0", bytes)
		}
		c.storage = bytes
		return nil
	}
}

// WithServerLog routes the server's own log lines to l (they are dropped
// otherwise).
func WithServerLog(l *slog.Logger) EmbeddedOption {
	return func(c *embeddedConfig) error { c.log = l; return nil }
}

// Embedded is an in-process nats-server with JetStream on a store directory.
type Embedded struct {
	// Server is the running server.
	Server     *server.Server
	dir        string
	lock       *os.File
	auth       Credentials
	storage    int64
	syncAlways bool
	watch      *storeWatch
	once       sync.Once
	// opts are the options the server runs with (fleet reloads change
	// them, under fleet.mu); tls is whether it serves TLS.
	opts *server.Options
	tls  bool
	// fleet admits workers when the server has a fleet (WithFleet).
	fleet      *fleetService
	fleetHosts []string
}

// StartEmbedded starts a nats-server with JetStream in this process, its
// data in dir (created if needed; the CLI uses "<db path>.nats"). Restarting
// on the same dir keeps the streams, their messages and the consumers'
// state. A second server on a dir already in use fails with ErrStoreInUse.
// It fails at once, naming the directory or the address, when dir cannot
// be written, the disk has too little free (storageFor), or the listen
// address is taken.
//
// While it runs, the server's store is watched (storeWatch): a stream that
// failed to write (the disk was full) is reopened once there is space
// again, and Fault says what is wrong meanwhile.
func StartEmbedded(dir string, opts ...EmbeddedOption) (*Embedded, error) {
	cfg := embeddedConfig{host: "127.0.0.1", port: -1, syncAlways: DefaultSyncAlways, ready: 30 * time.Second}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // errors and logs name it from anywhere
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("nats store %s: %w", dir, err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("nats store %s: %w", dir, err)
	}
	e, err := startLocked(dir, lock, &cfg)
	if err != nil {
		unlockDir(lock)
		return nil, err
	}
	return e, nil
}

func startLocked(dir string, lock *os.File, cfg *embeddedConfig) (*Embedded, error) {
	storage, err := storageFor(dir, cfg.storage)
	if err != nil {
		return nil, err
	}
	if cfg.port > 0 {
		// The server would only log this, and never become ready.
		addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("nats server on %s: %w", dir, err)
		}
		_ = ln.Close()
	}
	sopts := &server.Options{
		ServerName: "automl",
		Host:       cfg.host,
		Port:       cfg.port,
		NoSigs:     true,
		NoLog:      true, // our logger below, not the server's own
		JetStream:  true,
		// The server adds a "jetstream" directory below StoreDir; passing
		// the same dir on every start is what keeps the streams.
		StoreDir:           dir,
		SyncAlways:         cfg.syncAlways,
		JetStreamMaxStore:  max(storage, reserved(dir)),
		JetStreamMaxMemory: maxMemory,
	}
	if err := cfg.applyAuth(sopts); err != nil {
		return nil, err
	}
	if cfg.fleet != nil {
		if err := cfg.applyFleet(sopts); err != nil {
			unlockDir(lock)
			return nil, err
		}
	}
	kept := sopts.Clone()
	s, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("nats server on %s: %w", dir, err)
	}
	// A failure to start (a port taken meanwhile, a store that cannot be
	// read) reaches the server's log as fatal; it ends the wait at once.
	fatal := make(chan string, 1)
	s.SetLoggerV2(serverLog{cfg.log, fatal}, false, false, false)
	go s.Start()
	stop := func() {
		s.Shutdown()
		s.WaitForShutdown()
	}
	deadline := time.Now().Add(cfg.ready)
	for !s.ReadyForConnections(50 * time.Millisecond) {
		select {
		case msg := <-fatal:
			stop()
			return nil, fmt.Errorf("nats server on %s: %s", dir, msg)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("nats server on %s: not ready after %v", dir, cfg.ready)
		}
	}
	if !s.JetStreamEnabled() {
		stop()
		return nil, fmt.Errorf("nats server on %s: jetstream did not start", dir)
	}
	e := &Embedded{Server: s, dir: dir, lock: lock, auth: cfg.auth, storage: storage, syncAlways: cfg.syncAlways, opts: kept, tls: kept.TLS}
	e.watch = watchStore(e, cfg.log)
	if cfg.fleet != nil {
		if err := e.startFleet(cfg.fleet); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// ClientURL is the URL other processes connect to.
func (e *Embedded) ClientURL() string { return e.Server.ClientURL() }

// Dir is the store directory.
func (e *Embedded) Dir() string { return e.dir }

// Storage is how much JetStream may keep in the store directory (see
// WithStorage): give it to the Dispatcher (StreamOptions.Storage).
func (e *Embedded) Storage() int64 { return e.storage }

// Connect opens an in-process client connection (no TCP) with the
// options of Connect.
// The connection carries the server's own credentials (WithAuth).
func (e *Embedded) Connect(name string, log *slog.Logger) (*nats.Conn, error) {
	var opts []nats.Option
	if e.fleet != nil {
		o, err := seedOption(e.fleet.dir.SchedulerSeed())
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	} else {
		c := e.auth
		c.TLSCert, c.TLSKey, c.TLSCA = "", "", "" // in-process: no TLS (the server allows it)
		var err error
		if opts, err = c.Options(); err != nil {
			return nil, err
		}
	}
	url := strings.Replace(e.ClientURL(), "tls://", "nats://", 1)
	return Connect(url, name, log, append(opts, nats.InProcessServer(e.Server))...)
}

// Close shuts the server down, waits until it has released its files, and
// unlocks the store directory. Safe to call more than once.
func (e *Embedded) Close() error {
	e.once.Do(func() {
		if e.fleet != nil && e.fleet.nc != nil {
			e.fleet.stop()
		}
		e.watch.close()
		e.Server.Shutdown()
		e.Server.WaitForShutdown()
		unlockDir(e.lock)
	})
	return nil
}

// serverLog adapts slog to the server's logger (l nil: lines are
// dropped), and passes its fatal lines to fatal, when it has room.
type serverLog struct {
	l     *slog.Logger
	fatal chan<- string
}

func (s serverLog) Noticef(f string, v ...any) { s.log(slog.LevelInfo, f, v) }
func (s serverLog) Warnf(f string, v ...any)   { s.log(slog.LevelWarn, f, v) }
func (s serverLog) Errorf(f string, v ...any)  { s.log(slog.LevelError, f, v) }
func (s serverLog) Debugf(f string, v ...any)  { s.log(slog.LevelDebug, f, v) }
func (s serverLog) Tracef(f string, v ...any)  { s.log(slog.LevelDebug, f, v) }

func (s serverLog) Fatalf(f string, v ...any) {
	s.log(slog.LevelError, f, v)
	select {
	case s.fatal <- fmt.Sprintf(f, v...):
	default:
	}
}

func (s serverLog) log(level slog.Level, f string, v []any) {
	if s.l != nil {
		s.l.Log(context.Background(), level, "nats-server: "+fmt.Sprintf(f, v...))
	}
}
