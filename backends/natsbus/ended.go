package natsbus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"automl/backends/natsbus/fleet"
)

// The end of a search: a scheduler whose workers should leave when it
// ends (automl search --listen, whose embedded server goes with it) says
// so on endedSubject, signed with the study's job key like a stop request.
// Workers hear it on their control subscription (they may subscribe to
// automl.control.>, never publish there), so a worker of the fleet, which
// cannot forge the signature, cannot send it either. A scheduler that
// dies says nothing: its workers keep reconnecting, and a restarted
// search takes them back.

// endedSubject carries a studyEnd: one token after the prefix, where a
// stop request's controlSubject has three.
const endedSubject = controlPrefix + "_ended"

// studyEnd says a search has ended: its study and how (done, failed,
// interrupted).
type studyEnd struct {
	Study  string `json:"study"`
	Status string `json:"status"`
}

// endedID is what an end message's signature covers besides its subject.
func endedID(study string) string { return "ended/" + study }

// Ended tells this study's workers that its search has ended (status:
// done, failed, interrupted) and waits until the server has the message.
func (d *Dispatcher) Ended(ctx context.Context, status string) error {
	data, err := json.Marshal(studyEnd{Study: d.study, Status: status})
	if err != nil {
		return err
	}
	msg := nats.NewMsg(endedSubject)
	msg.Data = data
	setSigned(msg.Header, d.o.JobKey.Sign(fleet.Job{Subject: msg.Subject, ID: endedID(d.study), Data: data}))
	if err := d.nc.PublishMsg(msg); err != nil {
		return fmt.Errorf("say study %s ended: %w", d.study, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := d.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("say study %s ended: %w", d.study, err)
	}
	return nil
}

// onEnded handles an end message: signed by a trusted key, it goes to
// WorkerOptions.OnEnded; anything else is a security event.
func (w *Worker) onEnded(m *nats.Msg) {
	var e studyEnd
	if err := json.Unmarshal(m.Data, &e); err != nil {
		w.log.Warn("bad end-of-search message", "subject", m.Subject, "err", err)
		return
	}
	if err := verify(w.verify, m.Subject, m.Header, endedID(e.Study), m.Data); err != nil {
		security(w.log, "end-of-search message rejected", "study", e.Study, "signer", m.Header.Get(signerHeader), "why", err)
		return
	}
	if w.o.OnEnded != nil {
		w.o.OnEnded(e.Study, e.Status)
	}
}

// IdleFor is how long the worker has run no trial: since its last trial
// ended, or since it was made; 0 while a trial runs.
func (w *Worker) IdleFor() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.running) > 0 {
		return 0
	}
	return time.Since(w.idleSince)
}
