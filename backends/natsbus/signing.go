package natsbus

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"automl/backends/natsbus/fleet"
	"automl/internal/probe"
	"automl/trial"
)

// Jobs and stop requests are signed by the study's scheduler (its fleet
// job key): a worker checks the signature against the keys it trusts
// before anything starts, so a job somebody else published never runs.
// Every job carries a lease token (trial.Spec.Lease) that its events must
// return: the scheduler's side applies an event only with the right token
// and from the sender its subject names, so nobody who was not handed a
// job can report on it.
const (
	signerHeader    = "Automl-Signer"
	signatureHeader = "Automl-Signature"
	proofHeader     = "Automl-Proof"
)

// signBatch signs messages together (fleet.JobKey.SignBatch: one signature
// for all), over each one's subject, id and payload; ids are their ids.
func signBatch(msgs []*nats.Msg, ids []string, key fleet.JobKey) {
	jobs := make([]fleet.Job, len(msgs))
	for i, m := range msgs {
		jobs[i] = fleet.Job{Subject: m.Subject, ID: ids[i], Data: m.Data}
	}
	for i, s := range key.SignBatch(jobs) {
		setSigned(msgs[i].Header, s)
	}
}

func setSigned(h nats.Header, s fleet.Signed) {
	h.Set(signerHeader, s.Signer)
	h.Set(signatureHeader, s.Signature)
	h.Set(proofHeader, s.Proof)
}

// verify checks what signBatch added.
func verify(v *fleet.Verifier, subject string, h nats.Header, id string, data []byte) error {
	return v.Verify(fleet.Signed{Signer: h.Get(signerHeader), Signature: h.Get(signatureHeader), Proof: h.Get(proofHeader)},
		fleet.Job{Subject: subject, ID: id, Data: data})
}

// stopID is what a stop request's signature covers besides its subject.
func stopID(k trial.Key) string { return "stop/" + jobMsgID(k) }

// security logs a security event: something that would have run code or
// changed a result had it been trusted. It is never acted on.
func security(log *slog.Logger, what string, args ...any) {
	log.Error("security: "+what, append(args, "security", true)...)
}

// errForged marks an event message whose events cannot be applied: a lease
// token that is not its job's, or a sender that is not who its subject
// names.
var errForged = errors.New("forged event")

// authentic checks an event message's events against the lease tokens of
// their jobs and the sender its subject names.
func (d *Dispatcher) authentic(subject string, evs []trial.Event) error {
	sender := senderOf(subject)
	if sender == "" {
		return fmt.Errorf("%w: subject %s names no sender", errForged, subject)
	}
	for i := range evs {
		ev := &evs[i]
		if !d.o.JobKey.CheckLease(jobMsgID(ev.Key), ev.Lease) {
			return fmt.Errorf("%w: %v %v event from %q without its job's lease token (the sender was never handed the job)", errForged, ev.Key, ev.Kind, sender)
		}
		if sender != schedulerSender && SenderToken(ev.Worker) != sender {
			return fmt.Errorf("%w: %v %v event says worker %q but was sent as %q", errForged, ev.Key, ev.Kind, ev.Worker, sender)
		}
	}
	return nil
}

// rejectForeign refuses a job that does not carry a trusted signature:
// never run, taken off the queue (term), logged as a security event.
func (w *Worker) rejectForeign(log *slog.Logger, msg jobMsg, err error) {
	security(log, "job rejected, not run", "subject", msg.Subject(), "msg_id", msg.Headers().Get(jetstream.MsgIDHeader), "signer", msg.Headers().Get(signerHeader), "why", err)
	_ = msg.TermWithReason("rejected: " + err.Error())
	probe.Get().Dropped("foreign")
}
