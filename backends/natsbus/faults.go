package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A store fault (a full disk, see watch.go) and the errors of a store
// without room, as the Dispatcher and the Worker see them.

// faultPoll is how often a wait for the server looks at the store.
const faultPoll = 250 * time.Millisecond

// fault is the store's fault (nil: none, or no Store).
func (d *Dispatcher) fault() error {
	if d.o.Store == nil {
		return nil
	}
	return d.o.Store.Fault()
}

// epoch is the store's epoch (0 without Store).
func (d *Dispatcher) epoch() uint64 {
	if d.o.Store == nil {
		return 0
	}
	return d.o.Store.Epoch()
}

// explain adds to a failed publish what is wrong with the store, when the
// failure is for lack of room, or the store knows more.
func (d *Dispatcher) explain(err error) error {
	if f := d.fault(); f != nil {
		return fmt.Errorf("%w (%v)", err, f)
	}
	if isNoRoom(err) {
		return fmt.Errorf("%w (the stream %s is full: its jobs wait for workers to take them, or its server for space)", err, TrialsStream)
	}
	return err
}

// errStoreFault marks a wait for the server given up because its store
// had a fault meanwhile: what was sent may have been dropped.
var errStoreFault = errors.New("the nats store had a fault")

// fault is the store's fault (nil: none, or no Store).
func (w *Worker) fault() error {
	if w.o.Store == nil {
		return nil
	}
	return w.o.Store.Fault()
}

// publishMsg stores an event message, waiting for its PubAck (at most
// publishTimeout). With Store set, a publish the store may have dropped
// (it had a fault meanwhile: a stream that cannot write does not answer)
// is sent again once the fault is gone, however long that takes, until
// ctx ends: the run waits for the disk instead of being lost. The message
// keeps its Nats-Msg-Id, so it is stored once.
func (w *Worker) publishMsg(ctx context.Context, m *nats.Msg) error {
	for {
		err := w.publishOnce(m)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errStoreFault) && w.fault() == nil {
			return fmt.Errorf("publish event %s: %w", m.Header.Get(jetstream.MsgIDHeader), err)
		}
		if !w.waitForStore(ctx) {
			return fmt.Errorf("publish event %s: %w", m.Header.Get(jetstream.MsgIDHeader), errors.Join(err, ctx.Err()))
		}
	}
}

func (w *Worker) publishOnce(m *nats.Msg) error {
	if w.o.Store == nil {
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		_, err := w.js.PublishMsg(ctx, m, jetstream.WithExpectStream(EventsStream))
		return err
	}
	epoch := w.o.Store.Epoch()
	f, err := w.js.PublishMsgAsync(m, jetstream.WithExpectStream(EventsStream))
	if err != nil {
		return err
	}
	return w.await(f, epoch)
}

// await waits for an async publish sent in the store's epoch: its ack, its
// error (at the latest publishTimeout on), or, with Store, a fault or a
// new epoch (errStoreFault).
func (w *Worker) await(f jetstream.PubAckFuture, epoch uint64) error {
	var check <-chan time.Time
	if w.o.Store != nil {
		t := time.NewTicker(faultPoll)
		defer t.Stop()
		check = t.C
	}
	for {
		select {
		case <-f.Ok():
			return nil
		case err := <-f.Err():
			if w.o.Store != nil && w.o.Store.Epoch() != epoch {
				return fmt.Errorf("%w: %w", errStoreFault, err)
			}
			return err
		case <-check:
			if err := w.fault(); err != nil {
				return fmt.Errorf("%w: %w", errStoreFault, err)
			}
			if w.o.Store.Epoch() != epoch {
				return errStoreFault
			}
		}
	}
}

// waitForStore waits while the store reports a fault; false when ctx
// ended first.
func (w *Worker) waitForStore(ctx context.Context) bool {
	if f := w.fault(); f != nil {
		w.log.Debug("waiting for the nats store", "fault", f)
	}
	t := time.NewTicker(faultPoll)
	defer t.Stop()
	for w.fault() != nil {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return ctx.Err() == nil
}

// explain adds to a failed checkpoint upload that the store is full, with
// its limit, when that is why.
func (c *checkpoints) explain(err error) error {
	if !isNoRoom(err) {
		return err
	}
	limit := "its byte limit"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, ierr := c.js.Stream(ctx, objectStream); ierr == nil && s.CachedInfo().Config.MaxBytes > 0 {
		limit = formatBytes(s.CachedInfo().Config.MaxBytes)
	}
	return fmt.Errorf("%w (the checkpoint store %s is full at %s: paused trials keep their checkpoints there until they end; automl search --nats-storage gives it more)", err, CheckpointBucket, limit)
}

// JetStream's errors of a store without room.
const (
	errCodeInsufficient jetstream.ErrorCode = 10023 // insufficient resources (the server's limit)
	errCodeNoStorage    jetstream.ErrorCode = 10047 // insufficient storage resources available (a reservation)
	errCodeNoMemory     jetstream.ErrorCode = 10028 // insufficient memory resources available
	// A stream at its byte limit (discard new) answers 10077, "storing a
	// message failed", with the store's error as text; so does a clustered
	// stream on a full disk (a standalone one does not answer at all).
	noSpaceLeft       = "no space left on device"
	maxBytesExceeded  = "maximum bytes exceeded"
	diskQuotaExceeded = "disk quota exceeded"
)

// isNoRoom reports an error of a store that has no room: a JetStream
// limit reached, a stream full, a disk full.
func isNoRoom(err error) bool {
	if err == nil {
		return false
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case errCodeInsufficient, errCodeNoStorage, errCodeNoMemory:
			return true
		}
	}
	s := err.Error()
	return strings.Contains(s, noSpaceLeft) || strings.Contains(s, maxBytesExceeded) || strings.Contains(s, diskQuotaExceeded)
}
