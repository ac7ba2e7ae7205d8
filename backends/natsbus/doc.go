// Package natsbus carries trials over NATS JetStream: the scheduler side
// (Dispatcher, an implementation of scheduler.Dispatcher), the worker side
// (Worker, which pulls jobs and runs them with a trial.Runner on its
// slots), an embedded, in-process nats-server (StartEmbedded) for the
// single-machine default, where the same code path runs against a server
// inside the automl process, and the client side of a fleet (Connect,
// Credentials, RequestControl).
//
// The protocol (DESIGN.md section 6, with the incarnation of issue 16):
//
//	jobs     stream AUTOML_TRIALS, work-queue retention, file storage
//	         subject automl.trials.<pool>.<study>.<inc>.<id>, payload trial.Spec (JSON)
//	         Nats-Msg-Id <study>/<inc>/<id>/<attempt>: a re-dispatched attempt is stored once
//	         headers Automl-Signer, Automl-Signature: ed25519 over subject, id, payload
//	         consumer workers-<pool>: durable pull, explicit ack, AckWait = the lease,
//	         renewed with InProgress every AckWait/3; a worker pulls exactly as many
//	         jobs as it has idle slots (feeder), never more
//	events   stream AUTOML_EVENTS, limits retention (see EnsureStreams), file storage
//	         subject automl.events.<study>.<inc>.<id>.<sender>, payload trial.Event (JSON),
//	         or a JSON array of one run's events (at most 256 KiB): a run that ends
//	         within startedDelay sends its Started with its Exited, and a run's last
//	         log lines (Logged events) go with its Exited; the message is acked when
//	         all its events are. Every event carries its job's lease token (Spec.Lease).
//	         Logged events carry the trainer's output in chunks of at most 64 KiB of
//	         lines, while the run goes (every logFlushEvery) and before its Exited.
//	         Nats-Msg-Id <study>/<inc>/<id>/<attempt>/<delivery>/<seq>/<sender> (of its last event)
//	         consumer scheduler-<study>-<inc>: durable pull, acked after the store commit;
//	         acked events are purged in bulk by the study's Dispatcher
//	stop     core subject automl.control.<study>.<inc>.<id>, payload the attempt's
//	         trial.Key, signed as jobs are: the worker running that attempt cancels
//	         its trainer
//	requests core subject automl.requests.<study> (request-reply): automl stop, budget,
//	         enqueue and retry ask the study's scheduler (ServeControl, RequestControl)
//	owners   KV bucket AUTOML_OWNERS, key <study>: the incarnation, host, pid and files
//	         of the scheduler that owns the study, with a TTL lease it renews; the
//	         revision is the fencing token (Claim)
//	exhausted stream AUTOML_ADVISORIES keeps the server's max-deliveries advisories
//	         of AUTOML_TRIALS; consumer "dispatchers", shared by every Dispatcher
//	checkpoints object store automl-checkpoints, one tar per checkpoint, named
//	         <study>/<inc>/<id>/<resource>/<attempt>.<delivery> (CheckpointKey: every
//	         run its own) and referred to, in results and jobs, as <name>#<digest>
//	join     core subject automl.join (request-reply, embedded fleet servers only):
//	         a holder of the join credential enrolls its own NKey (Join, WithFleet)
//
// Incarnations and ownership. A study's incarnation is made when its study
// file is; it is part of every subject, message id, consumer and checkpoint
// name, so nothing of an earlier study of the same name is taken for this
// one's. One scheduler owns a study name at a time (the owners bucket); a
// second is refused at Claim, naming the owner, and takes over only once
// the owner's lease has expired (or at once, when the owner is a dead
// process of this host).
//
// Trust. Workers run only jobs signed by a key they trust (the fleet's job
// key, handed to them by a join token or --trust), checked before anything
// starts; anything else is terminated and logged as a security event, as
// is a stop request that is not signed. A job's lease token (an HMAC of its
// message id under the job key) comes back in every event of the job; the
// Dispatcher applies an event only with that token and from the sender its
// subject names (a fleet server lets each worker publish under its own
// name only, WorkerPermissions), so nobody who was not handed a job can
// report on it. A checkpoint is resumed from only if its object has the
// digest its saver reported.
//
// Reconciliation. Every ReconcileEvery (the lease) the scheduler asks
// Vanished which of its queued and running attempts have neither a job in
// the stream nor a result waiting; those run again as lost. A deleted pool
// consumer or event consumer is set up again. On restart only vanished
// trials are re-queued: results already in the events stream are applied.
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
// (scheduler.CheckpointCleaner); with DispatcherOptions.ModelDir the
// dispatcher first copies the model and holdout files of the checkpoint
// the trial's last result named there, if the object still holds the
// reference's digest (harvest.go), so a trained model outlives them.
//
// Ownership. The scheduler (Dispatcher) creates the streams (with its
// replica count), the object store and the job consumer of each pool it
// dispatches to; a worker that starts first waits for them, so a fleet's
// workers can run with credentials that may only take jobs and publish
// events (examples/fleet). Settings a client leaves zero (AckWait,
// MaxDeliver) never override the consumer's.
//
// Pool names become subject tokens and consumer names, so they must be
// 1-64 lowercase letters, digits, '-' or '_' (ErrBadName). Study names may
// use letters of any script (internal/studyname); where <study> appears
// above, it is the study's token: the name itself when it is ASCII, else
// "_xn--" and its Punycode ("über" travels as _xn--ber-goa).
package natsbus
