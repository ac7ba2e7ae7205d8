package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"automl/scheduler"
)

// hub polls the store's listing while anyone listens and hands each change
// to every listener: one store read per interval, however many pages are
// open.
type hub struct {
	store  scheduler.Reader
	every  time.Duration
	log    *slog.Logger
	mu     sync.Mutex
	subs   map[chan []byte]struct{}
	last   []byte // the latest listing sent
	stop   context.CancelFunc
	closed bool
}

func newHub(st scheduler.Reader, every time.Duration, log *slog.Logger) *hub {
	return &hub{store: st, every: every, log: log, subs: map[chan []byte]struct{}{}}
}

// subscribe returns a channel of listings (the current one first) and a
// function that ends the subscription. The channel holds the newest
// listing only: a slow reader skips to the latest.
func (h *hub) subscribe() (<-chan []byte, func()) {
	ch := make(chan []byte, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	h.subs[ch] = struct{}{}
	if h.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.stop = cancel
		go h.poll(ctx)
	} else if h.last != nil {
		ch <- h.last
	}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; !ok {
			return
		}
		delete(h.subs, ch)
		if len(h.subs) == 0 && h.stop != nil {
			h.stop()
			h.stop, h.last = nil, nil
		}
	}
}

// poll reads the listing now and every interval until ctx ends.
func (h *hub) poll(ctx context.Context) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		h.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *hub) check(ctx context.Context) {
	infos, err := h.store.Studies(ctx)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("dashboard: read the study listing", "err", err)
		}
		return
	}
	msg, err := json.Marshal(listing(infos))
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ctx.Err() != nil || bytes.Equal(msg, h.last) {
		return
	}
	h.last = msg
	for ch := range h.subs {
		select { // keep only the newest listing in the buffer
		case <-ch:
		default:
		}
		ch <- msg
	}
}

// close ends every subscription and the poller.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.stop != nil {
		h.stop()
		h.stop = nil
	}
	for ch := range h.subs {
		close(ch)
		delete(h.subs, ch)
	}
}
