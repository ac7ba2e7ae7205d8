package natsbus

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"automl/backends/natsbus/fleet"
)

// fleetConfig is WithFleet's setting.
type fleetConfig struct {
	dir      *fleet.Dir
	tlsHosts []string
	log      *slog.Logger
}

// WithFleet makes the embedded server admit the fleet's members only: the
// scheduler (its NKey, every right), enrolled workers (WorkerPermissions,
// each under its own name) and holders of the join credential, who may
// only ask to enroll (Join). Nobody else connects, not even from this
// host. With tlsHosts (the names and addresses workers reach the server
// by), it also serves TLS with a certificate of the fleet's authority,
// which join tokens pin. Enrollments, and revocations made by another
// process (automl fleet revoke), take effect at once.
// Enrollments are logged to log.
func WithFleet(d *fleet.Dir, tlsHosts []string, log *slog.Logger) EmbeddedOption {
	return func(c *embeddedConfig) error {
		if log == nil {
			log = slog.Default()
		}
		c.fleet = &fleetConfig{dir: d, tlsHosts: tlsHosts, log: log}
		return nil
	}
}

// fleetUsers are the server users of the fleet as its directory says now.
func fleetUsers(d *fleet.Dir) ([]*server.NkeyUser, error) {
	sched, err := publicOf(d.SchedulerSeed())
	if err != nil {
		return nil, err
	}
	join, err := d.Join(time.Now())
	if err != nil {
		return nil, err
	}
	joinPub, err := publicOf(join)
	if err != nil {
		return nil, err
	}
	users := []*server.NkeyUser{{Nkey: sched}, {Nkey: joinPub, Permissions: joinPermissions()}}
	ws, err := d.Workers()
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		users = append(users, &server.NkeyUser{Nkey: w.NKey, Permissions: WorkerPermissions(w.Name)})
	}
	return users, nil
}

// applyFleet sets the server options for cfg.fleet.
func (cfg *embeddedConfig) applyFleet(o *server.Options) error {
	users, err := fleetUsers(cfg.fleet.dir)
	if err != nil {
		return err
	}
	o.Nkeys = users
	if len(cfg.fleet.tlsHosts) > 0 {
		certFile, keyFile, _, err := cfg.fleet.dir.ServerTLS(cfg.fleet.tlsHosts, time.Now())
		if err != nil {
			return err
		}
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: certFile, KeyFile: keyFile})
		if err != nil {
			return fmt.Errorf("fleet TLS: %w", err)
		}
		tc.MinVersion = tls.VersionTLS12
		o.TLSConfig, o.TLS = tc, true
	}
	return nil
}

// fleetService admits workers to the embedded server's fleet: it answers
// enrollment requests, and reloads the server's users whenever the fleet
// directory changes.
type fleetService struct {
	e     *Embedded
	dir   *fleet.Dir
	nc    *nats.Conn
	log   *slog.Logger
	stamp string
	mu    sync.Mutex // serializes reloads
	done  chan struct{}
	wg    sync.WaitGroup
}

// joinRequest asks the server to admit a worker's key under its name.
type joinRequest struct {
	Name string `json:"name"`
	NKey string `json:"nkey"`
}

type joinReply struct {
	Error string `json:"error,omitempty"`
}

func (e *Embedded) startFleet(c *fleetConfig) error {
	e.fleetHosts = c.tlsHosts
	e.fleet = &fleetService{e: e, dir: c.dir, log: c.log, stamp: c.dir.Stamp(), done: make(chan struct{})}
	fs := e.fleet
	nc, err := e.Connect("automl-fleet", c.log)
	if err != nil {
		return err
	}
	fs.nc = nc
	if _, err := nc.Subscribe(joinSubject, fs.onJoin); err != nil {
		nc.Close()
		return fmt.Errorf("fleet: serve enrollments: %w", err)
	}
	fs.wg.Add(1)
	go fs.watch()
	return nil
}

func (fs *fleetService) stop() {
	close(fs.done)
	fs.wg.Wait()
	fs.nc.Close()
}

func (fs *fleetService) onJoin(m *nats.Msg) {
	var req joinRequest
	reply := func(err error) {
		var r joinReply
		if err != nil {
			r.Error = err.Error()
			fs.log.Warn("fleet: enrollment refused", "name", req.Name, "err", err)
		}
		b, _ := json.Marshal(r)
		_ = m.Respond(b)
	}
	if err := json.Unmarshal(m.Data, &req); err != nil {
		reply(fmt.Errorf("unreadable request: %w", err))
		return
	}
	if err := checkToken("worker name", req.Name); err != nil {
		reply(err)
		return
	}
	if err := fs.dir.Enroll(req.Name, req.NKey, time.Now()); err != nil {
		reply(err)
		return
	}
	if err := fs.reload(); err != nil {
		reply(err)
		return
	}
	fs.log.Info("fleet: worker enrolled", "name", req.Name, "nkey", req.NKey)
	reply(nil)
}

// watch reloads the users when another process changed the directory.
func (fs *fleetService) watch() {
	defer fs.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-fs.done:
			return
		case <-t.C:
			fs.mu.Lock()
			changed := fs.dir.Stamp() != fs.stamp
			fs.mu.Unlock()
			if changed {
				if err := fs.reload(); err != nil {
					fs.log.Error("fleet: reload the server's users", "err", err)
				}
			}
		}
	}
}

// reload gives the server the fleet's users as the directory says now;
// the connections of removed users are closed.
func (fs *fleetService) reload() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.stamp = fs.dir.Stamp()
	users, err := fleetUsers(fs.dir)
	if err != nil {
		return err
	}
	// e.opts changes here only, under fs.mu.
	o := fs.e.opts.Clone()
	o.Nkeys = users
	if err := fs.e.Server.ReloadOptions(o); err != nil {
		return fmt.Errorf("fleet: reload the server's users: %w", err)
	}
	fs.e.opts = o.Clone()
	return nil
}

// Token is what a worker joins this server's fleet with (fleet
// directory set): its URL, the pin of its authority (with TLS), the job
// key and the join credential. urls overrides the URL the server reports
// (for a server listening on every interface).
func (e *Embedded) Token(urls string) (fleet.Token, error) {
	fs := e.fleet
	if fs == nil {
		return fleet.Token{}, fmt.Errorf("fleet: the server has no fleet directory")
	}
	join, err := fs.dir.Join(time.Now())
	if err != nil {
		return fleet.Token{}, err
	}
	t := fleet.Token{URL: urls, JobKey: fs.dir.JobKey().Public(), Join: join}
	if t.URL == "" {
		t.URL = e.ClientURL()
	}
	if e.tls {
		_, _, pin, err := fs.dir.ServerTLS(e.fleetHosts, time.Now())
		if err != nil {
			return fleet.Token{}, err
		}
		t.CAPin = pin
	}
	return t, nil
}

// ReachableHosts are the names and addresses of this machine a worker may
// reach a server listening on host by: host itself when it is an address
// or a name, or, for every interface (empty, 0.0.0.0, ::), the host name
// and every address that is not loopback or link-local.
func ReachableHosts(host string) []string {
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return []string{host}
	}
	var out []string
	if name, err := os.Hostname(); err == nil && name != "" {
		out = append(out, name)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || n.IP.IsLinkLocalMulticast() {
			continue
		}
		out = append(out, n.IP.String())
	}
	return out
}

// IsLoopback reports whether host only ever means this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SchedulerOptions connect a client to the embedded server of d's fleet as
// its scheduler (automl stop): its NKey and, for a server that serves TLS
// (a tls:// URL), the pin of the fleet's authority.
func SchedulerOptions(d *fleet.Dir, url string) ([]nats.Option, error) {
	o, err := seedOption(d.SchedulerSeed())
	if err != nil {
		return nil, err
	}
	opts := []nats.Option{o}
	if strings.HasPrefix(url, "tls://") {
		pin, err := d.Pin()
		if err != nil {
			return nil, err
		}
		if pin == nil {
			return nil, fmt.Errorf("fleet: %s has no certificate authority for the TLS server at %s", d.Path(), url)
		}
		opts = append(opts, nats.Secure(fleet.ClientTLS(pin)))
	}
	return opts, nil
}

// publicOf is the public key of an NKey seed.
func publicOf(seed string) (string, error) {
	kp, err := nkeys.FromSeed([]byte(seed))
	if err != nil {
		return "", fmt.Errorf("fleet: nkey seed: %w", err)
	}
	return kp.PublicKey()
}

// seedOption authenticates a client with an NKey seed.
func seedOption(seed string) (nats.Option, error) {
	kp, err := nkeys.FromSeed([]byte(seed))
	if err != nil {
		return nil, fmt.Errorf("nkey seed: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, err
	}
	return nats.Nkey(pub, kp.Sign), nil
}
