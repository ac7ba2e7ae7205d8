package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
	"automl/internal/modelfiles"
	"automl/spacefile"
	"automl/worker"
)

// bus is automl search's NATS: an external server (--nats) or the
// embedded one (exposed with --listen), the scheduler's connection, and
// the study's fleet directory (the key that signs its jobs).
type bus struct {
	nc    *nats.Conn
	emb   *natsbus.Embedded // nil with --nats
	fleet *fleet.Dir
	f     *searchFlags
	log   *slog.Logger
}

// openBus connects the scheduler to NATS: to f.nats.url, or to an embedded
// server started on the study file's side (<db>.nats), whose client URL is
// written there for automl stop. The embedded server admits the fleet's
// members only (natsbus.WithFleet), with TLS when it listens beyond this
// machine. Either way it prints the line that makes a machine a worker.
func openBus(f *searchFlags, serverLog, log *slog.Logger) (*bus, error) {
	dir, err := f.fleet.open()
	if err != nil {
		return nil, err
	}
	b := &bus{f: f, log: log, fleet: dir}
	if f.nats.url != "" {
		nc, err := f.nats.connect("automl-scheduler", log)
		if err != nil {
			return nil, err
		}
		b.nc = nc
		log.Info("using NATS", "url", nc.ConnectedUrlRedacted())
		tok := fleet.Token{URL: f.nats.url, JobKey: dir.JobKey().Public()}
		b.announce(tok, " (with their own NATS credentials)")
		return b, nil
	}
	var host, port string
	var tlsHosts []string
	opts := []natsbus.EmbeddedOption{natsbus.WithServerLog(serverLog), natsbus.WithStorage(int64(f.natsStorage))}
	if f.listen != "" {
		opts = append(opts, natsbus.WithListen(f.listen))
		host, port, _ = net.SplitHostPort(f.listen)
		if !natsbus.IsLoopback(host) {
			tlsHosts = natsbus.ReachableHosts(host)
		}
	}
	opts = append(opts, natsbus.WithFleet(dir, tlsHosts, log))
	if c := f.nats.creds; !c.Empty() || c.TLSCert != "" {
		opts = append(opts, natsbus.WithAuth(c))
	}
	emb, err := natsbus.StartEmbedded(f.db+".nats", opts...)
	if err != nil {
		// Each is the user's to fix: the credentials, the --listen
		// address, the store directory (--db) or its disk.
		if errors.Is(err, natsbus.ErrCredentials) {
			return nil, usageError{err}
		}
		return nil, usageError{fmt.Errorf("start the embedded NATS server: %w", err)}
	}
	b.emb = emb
	log.Debug("embedded NATS server", "store", emb.Dir(), "storage", emb.Storage())
	if err := os.WriteFile(filepath.Join(emb.Dir(), urlFile), []byte(emb.ClientURL()+"\n"), 0o600); err != nil {
		log.Warn("cannot record the server's URL for automl stop", "err", err)
	}
	nc, err := emb.Connect("automl-scheduler", log)
	if err != nil {
		emb.Close()
		return nil, err
	}
	b.nc = nc
	if f.listen != "" {
		tok, err := emb.Token(workerURLs(emb.ClientURL(), host, port, tlsHosts))
		if err != nil {
			b.close()
			return nil, err
		}
		b.announce(tok, "")
	}
	return b, nil
}

// workerURLs is the URL workers reach a server listening on every
// interface by: one per reachable address (empty for a concrete host:
// the server's own URL).
func workerURLs(clientURL, host, port string, reachable []string) string {
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return ""
	}
	scheme, _, _ := strings.Cut(clientURL, "://")
	var urls []string
	for _, h := range reachable {
		if net.ParseIP(h) != nil {
			urls = append(urls, scheme+"://"+net.JoinHostPort(h, port))
		}
	}
	return strings.Join(urls, ",")
}

// announce prints the join line and keeps it for automl fleet token.
func (b *bus) announce(tok fleet.Token, note string) {
	if err := saveToken(b.fleet, tok); err != nil {
		b.log.Warn("cannot keep the join token for automl fleet token", "err", err)
	}
	b.log.Info("workers can join" + note + ": " + joinLine(tok))
}

// storageHint says, after a stream that did not fit, what sets the
// streams' size.
func (b *bus) storageHint(err error) string {
	if !strings.Contains(err.Error(), "insufficient storage") {
		return ""
	}
	if b.emb != nil {
		return fmt.Sprintf(" (the embedded NATS server may keep %d MiB in %s; --nats-storage sets it)", b.emb.Storage()>>20, b.emb.Dir())
	}
	return " (the NATS server's max_file_store must hold the streams' byte limits; --nats-storage sets those of streams this scheduler creates)"
}

// workerConn is a second connection for this process's worker slots.
func (b *bus) workerConn() (*nats.Conn, error) {
	if b.emb != nil {
		return b.emb.Connect("automl-worker", b.log)
	}
	return b.f.nats.connect("automl-worker", b.log)
}

func (b *bus) close() {
	b.nc.Close()
	if b.emb != nil {
		_ = os.Remove(filepath.Join(b.emb.Dir(), urlFile))
		b.emb.Close()
	}
}

// wire makes the study's dispatcher and this process's worker slots (none
// with --workers 0). startWorkers starts the slots: call it once the
// scheduler has recovered the study, so no slot takes a job of an attempt
// the recovery supersedes. stopWorkers cancels running trials (handing
// their jobs back) and waits for the slots to return.
//
// The dispatcher keeps the models of final trials in <db>.models (see
// keep.go), and calls harvested after each harvest.
func wire(ctx context.Context, b *bus, space *spacefile.File, f *searchFlags, log *slog.Logger, harvested func(context.Context)) (disp *natsbus.Dispatcher, startWorkers, stopWorkers func(), err error) {
	pool := space.Trainer.PoolName()
	o := natsbus.DispatcherOptions{
		Logger: log, Pools: []string{pool}, JobKey: b.fleet.JobKey(),
		AckWait: f.ackWait, MaxDeliver: f.maxDeliver, Replicas: f.replicas,
		Storage:   int64(f.natsStorage),
		ModelDir:  modelfiles.Root(f.db),
		Harvested: func(ctx context.Context, _ []int) { harvested(ctx) },
	}
	var store natsbus.StoreHealth // none on another server
	if b.emb != nil {
		// The embedded server's streams are this process's to size.
		o.Storage, o.ResizeStreams, o.Store = b.emb.Storage(), true, b.emb
		store = b.emb
	}
	disp, err = natsbus.NewDispatcher(ctx, b.nc, space.Study, o)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("set up dispatch: %w%s", err, b.storageHint(err))
	}
	if f.workers == 0 {
		log.Info("no worker slots in this process: trials wait for automl worker processes", "pool", pool)
		return disp, func() {}, func() {}, nil
	}
	wnc, err := b.workerConn()
	if err != nil {
		disp.Close()
		return nil, nil, nil, err
	}
	host, _ := os.Hostname()
	w, err := worker.New(wnc, worker.Options{
		Pool: pool, Slots: f.workers, Name: host, Logger: log, AckWait: f.ackWait,
		GPUs: f.slotGPUs(),
		// Idle slots ask again twice a second, so the study ends promptly.
		FetchWait:   500 * time.Millisecond,
		TrainerLogs: f.trainerLogs,
		Trust:       fleet.Trust{b.fleet.JobKey().Public()},
		LocalKey:    new(b.fleet.JobKey()),
		Store:       store,
	})
	if err != nil {
		disp.Close()
		wnc.Close()
		return nil, nil, nil, fmt.Errorf("start worker slots: %w", err)
	}
	wctx, wcancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var once sync.Once
	start := func() {
		once.Do(func() {
			go func() {
				defer close(done)
				if err := w.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
					log.Error("worker stopped", "err", err)
				}
			}()
		})
	}
	stop := func() {
		wcancel()
		once.Do(func() { close(done) }) // never started
		<-done
		w.Close()
		wnc.Close()
	}
	return disp, start, stop, nil
}

// slotGPUs is each slot's GPUs with --gpus (nil without).
func (f *searchFlags) slotGPUs() [][]string {
	if f.plan == nil {
		return nil
	}
	return f.plan.GPUs
}
