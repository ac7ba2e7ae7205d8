package natsbus

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// What JetStream does when its disk is full (nats-server 2.15, filestore.go
// and stream.go): the write that fails with ENOSPC sets the stream's write
// error (fileStore.werr, stream.werr), and from then on every write to
// that stream returns it at once, whatever space comes back: nothing in
// the server clears it. A standalone server does not even answer the
// publish (processJetStreamMsg logs the error and returns; only a
// clustered stream is stepped down): the publisher times out. The stream
// still answers info and reads, so only the server's health check
// (Healthz, "write error") tells. Stopping and starting JetStream reopens
// the streams from their files, with every message that was stored
// (TestEmbeddedRecoversFromDiskFull): that is what storeWatch does once
// the disk has room again.

// checkEvery is how often storeWatch looks at the store.
var checkEvery = time.Second

// storeWatch checks the embedded server's store every checkEvery: streams
// that cannot write, JetStream stopped. It logs the fault once, with the
// store directory and its free space, reopens the store (restarts
// JetStream) once the disk has recoverFree free, and logs when writes work
// again. Fault reports the fault in between.
type storeWatch struct {
	e    *Embedded
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	fault error
	epoch uint64
}

func watchStore(e *Embedded, log *slog.Logger) *storeWatch {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &storeWatch{e: e, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *storeWatch) close() {
	close(w.stop)
	<-w.done
}

func (w *storeWatch) run() {
	defer close(w.done)
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	backoff := checkEvery
	var retryAt time.Time
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		problems := w.e.problems()
		if len(problems) == 0 {
			w.healthy()
			backoff = checkEvery
			continue
		}
		free, _ := freeSpace(w.e.dir)
		fault := fmt.Errorf("nats store %s (%s free on its filesystem): %s", w.e.dir, formatFree(free), strings.Join(problems, "; "))
		if w.set(fault) == nil {
			w.log.Error(fault.Error() + "; jobs and results wait, and the study goes on by itself once the disk has room (" + formatBytes(recoverFree) + " free at least); or stop it (Ctrl-C) and run the same command later: nothing is lost")
		}
		if (free >= 0 && free < recoverFree) || time.Now().Before(retryAt) {
			continue
		}
		w.log.Warn("nats store "+w.e.dir+": reopening its streams (restarting JetStream)", "free", formatFree(free))
		if err := w.e.restartJetStream(); err != nil {
			w.log.Error("nats store "+w.e.dir+": restarting JetStream failed; trying again", "err", err, "in", backoff)
		} else if len(w.e.problems()) == 0 {
			w.healthy()
		}
		retryAt = time.Now().Add(backoff)
		backoff = min(2*backoff, time.Minute)
	}
}

// healthy ends a fault, saying so.
func (w *storeWatch) healthy() {
	if w.set(nil) != nil {
		// Warn, like the fault: both reach a log that shows warnings only.
		w.log.Warn("nats store " + w.e.dir + ": writes work again; the study goes on")
	}
}

// set records the fault and returns the one before; a fault that begins
// or ends is a new epoch.
func (w *storeWatch) set(f error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.fault
	w.fault = f
	if (old == nil) != (f == nil) {
		w.epoch++
	}
	return old
}

func (w *storeWatch) get() (error, uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fault, w.epoch
}

// StoreHealth is what an embedded server tells the clients in its process
// (the Dispatcher and the Worker, through their Store option) about its
// store. A stream that cannot write does not answer what it is sent: with
// it they wait for the store and send again, instead of failing.
// *Embedded implements it.
type StoreHealth interface {
	// Fault says what keeps the store from storing now, nil when nothing
	// does.
	Fault() error
	// Epoch changes whenever a fault begins or ends: a publish sent
	// before it changed may have been dropped, and is sent again.
	Epoch() uint64
}

// Fault says what keeps the embedded server's store from storing, nil when
// nothing does: a stream that failed to write (a full disk) and waits for
// space, or JetStream stopped. The error names the store directory and its
// free space.
func (e *Embedded) Fault() error { f, _ := e.watch.get(); return f }

// Epoch counts the store's faults begun and ended (StoreHealth).
func (e *Embedded) Epoch() uint64 { _, n := e.watch.get(); return n }

// problems are the server's own health findings: streams with a write
// error, streams not recovered, JetStream not running.
func (e *Embedded) problems() []string {
	h := e.Server.Healthz(&server.HealthzOptions{Details: true})
	var out []string
	for _, p := range h.Errors {
		msg := p.Error
		if p.Stream != "" {
			if _, after, ok := strings.Cut(msg, "write error: "); ok {
				// Its files are named from the store directory, which
				// the fault names once.
				msg = "stream " + p.Stream + " cannot store: " + strings.ReplaceAll(after, e.dir+string(filepath.Separator), "")
			}
		}
		out = append(out, msg)
	}
	if len(out) == 0 && h.Status != "ok" {
		out = append(out, "server health: "+h.Status)
	}
	return out
}

// restartJetStream stops JetStream and starts it again on the same store:
// the streams are read back from their files, without the write error
// that stopped them. Clients stay connected; their pull requests are
// dropped and asked again.
func (e *Embedded) restartJetStream() error {
	s := e.Server
	if s.JetStreamEnabled() {
		if err := s.ShutdownJetStream(); err != nil {
			return fmt.Errorf("stop jetstream: %w", err)
		}
	}
	err := s.EnableJetStream(&server.JetStreamConfig{
		StoreDir:   e.dir, // the server adds "jetstream", as at start
		MaxStore:   max(e.storage, reserved(e.dir)),
		MaxMemory:  maxMemory,
		SyncAlways: e.syncAlways,
		Strict:     true,
	})
	if err != nil {
		return fmt.Errorf("start jetstream on %s: %w", e.dir, err)
	}
	return nil
}

func formatFree(free int64) string {
	if free < 0 {
		return "unknown"
	}
	return formatBytes(free)
}
