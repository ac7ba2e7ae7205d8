// Package natsbus carries trials over NATS JetStream: the scheduler side
// (Dispatcher, an implementation of scheduler.Dispatcher), the worker side
// (Worker, which pulls jobs and runs them with a trial.Runner on its
// slots), an embedded, in-process nats-server (StartEmbedded) for the
// single-machine default, where the same code path runs against a server
// inside the automl process, and the client side of a fleet (Connect,
// Credentials, RequestStop).
//
// The protocol (DESIGN.md section 6):
//
//	jobs     stream AUTOML_TRIALS, work-queue retention, file storage
//	         subject automl.trials.<pool>.<study>.<id>, payload trial.Spec (JSON)
//	         Nats-Msg-Id <study>/<id>/<attempt>: a re-dispatched attempt is stored once
//	         consumer workers-<pool>: durable pull, explicit ack, AckWait = the lease,
//	         renewed with InProgress every AckWait/3; a worker pulls exactly as many
//	         jobs as it has idle slots (feeder), never more
//	events   stream AUTOML_EVENTS, limits retention (see EnsureStreams), file storage
//	         subject automl.events.<study>.<id>, payload trial.Event (JSON), or a JSON
//	         array of one run's events: a run that ends within startedDelay sends
//	         its Started with its Exited; the message is acked when all its events are
//	         Nats-Msg-Id <study>/<id>/<attempt>/<delivery>/<seq> (of its last event)
//	         consumer scheduler-<study>: durable pull, acked after the store commit;
//	         acked events are purged in bulk by the study's Dispatcher
//	stop     core subject automl.control.<study>.<id>, payload the attempt's trial.Key:
//	         the worker running that attempt cancels its trainer
//	requests core subject automl.requests.<study> (request-reply): automl stop asks
//	         the study's scheduler to stop trials or the study (ServeStops, RequestStop)
//	exhausted stream AUTOML_ADVISORIES keeps the server's max-deliveries advisories
//	         of AUTOML_TRIALS; consumer "dispatchers", shared by every Dispatcher
//	checkpoints object store automl-checkpoints, one tar per checkpoint, named
//	         <study>/<id>/<resource> (CheckpointKey)
//
// Leases and fencing. A job's delivery count (its message's NumDelivered)
// is the fencing token every event of that delivery carries
// (trial.Event.Delivery): when a job is redelivered because its worker went
// silent past AckWait (dead, frozen, cut off), the new worker's events carry
// a higher delivery, and the scheduler ignores the old one's. A worker acks
// a job only after its Exited event is stored, so a worker that dies at any
// point leaves the job to be run again, never lost; and a worker that finds
// its lease lapsed (no renewal for AckWait: it was paused) publishes its
// result but does not ack, since the server may accept a late ack and
// delete the job under its new holder (nats-server#4786).
//
// Deliveries run out. A job handed out MaxDeliver times without an ack
// stays in the stream, and the server publishes an advisory. The
// advisories stream keeps it until a Dispatcher (of any study, so even
// while the job's own scheduler is down) publishes the trial's Exited
// event, crashed with that reason, and deletes the job.
//
// Checkpoints. A worker gives every run an empty local directory, its
// slot's (trial.Spec.CheckpointDir), fills it from the object store when the job
// resumes from a checkpoint (Spec.Checkpoint), and uploads it after a run
// that returned one, naming it in the result; so any worker can resume any
// trial. The scheduler deletes a trial's checkpoints once the trial is final
// (scheduler.CheckpointCleaner).
//
// Ownership. The scheduler (Dispatcher) creates the streams (with its
// replica count), the object store and the job consumer of each pool it
// dispatches to; a worker that starts first waits for them, so a fleet's
// workers can run with credentials that may only take jobs and publish
// events (examples/fleet). Settings a client leaves zero (AckWait,
// MaxDeliver) never override the consumer's.
//
// Study and pool names become subject tokens and consumer names, so they
// must be 1-64 lowercase letters, digits, '-' or '_' (ErrBadName).
package natsbus
