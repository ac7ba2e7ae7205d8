// Package natsbus carries trials over NATS JetStream: the scheduler side
// (Dispatcher, an implementation of scheduler.Dispatcher), the worker side
// (Worker, which pulls jobs and runs them with a trial.Runner), and an
// embedded, in-process nats-server (StartEmbedded) for the single-machine
// default, where the same code path runs against a server inside the
// automl process.
//
// The protocol (DESIGN.md section 6):
//
//	jobs    stream AUTOML_TRIALS, work-queue retention, file storage
//	        subject automl.trials.<pool>.<study>.<id>, payload trial.Spec (JSON)
//	        Nats-Msg-Id <study>/<id>/<attempt>: a re-dispatched attempt is stored once
//	        consumer workers-<pool>: durable pull, explicit ack, AckWait = the lease,
//	        renewed with InProgress every AckWait/3; each slot fetches one job at a time
//	events  stream AUTOML_EVENTS, limits retention (see EnsureStreams), file storage
//	        subject automl.events.<study>.<id>, payload trial.Event (JSON)
//	        Nats-Msg-Id <study>/<id>/<attempt>/<delivery>/<seq>
//	        consumer scheduler-<study>: durable pull, acked after the store commit;
//	        acked events are purged in bulk by the study's Dispatcher
//	stop    core subject automl.control.<study>.<id>, payload the attempt's trial.Key
//
// A job's delivery count (its message's NumDelivered) is the fencing token
// every event of that delivery carries (trial.Event.Delivery): when a job is
// redelivered because its worker went silent, the new worker's events carry
// a higher delivery, and the scheduler ignores the old one's. A worker acks a
// job only after its Exited event is stored, so a worker that dies at any
// point leaves the job to be run again, never lost.
//
// Study and pool names become subject tokens and consumer names, so they
// must be 1-64 lowercase letters, digits, '-' or '_' (ErrBadName).
package natsbus
