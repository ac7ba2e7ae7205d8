package natsbus

import (
	"github.com/nats-io/nats-server/v2/server"
)

// What each member of a fleet may do on its server (the embedded server's
// WithFleet users; examples/fleet/nats-server.conf says the same for a
// server the team runs). The scheduler may do everything.

// WorkerInbox is the reply-subject prefix of a worker of sender token
// sender: its own, so no worker can read another's replies.
func WorkerInbox(sender string) string { return "_INBOX_worker_" + sender }

// joinSubject is where a worker asks to enroll (joinRequest).
const joinSubject = "automl.join"

// joinInbox is the reply prefix of a worker that enrolls.
const joinInbox = "_INBOX_join"

// WorkerPermissions let a worker take jobs of any pool (bind its consumer,
// pull, ack, renew, hand back), report as itself only (events under its
// sender token), move checkpoints, and hear stop requests: it cannot queue
// a job, stop a trial or a study, or create, change, purge or delete a
// stream or a job consumer.
func WorkerPermissions(sender string) *server.Permissions {
	ckpt := "OBJ_" + CheckpointBucket
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				"$JS.API.CONSUMER.INFO." + TrialsStream + ".*",
				"$JS.API.CONSUMER.MSG.NEXT." + TrialsStream + ".*",
				"$JS.ACK." + TrialsStream + ".>",
				"$JS.ACK.*.*." + TrialsStream + ".>",
				eventsPrefix + "*.*.*." + sender,
				"$O." + CheckpointBucket + ".>",
				"$JS.API.STREAM.INFO." + ckpt,
				"$JS.API.STREAM.MSG.GET." + ckpt,
				"$JS.API.DIRECT.GET." + ckpt,
				"$JS.API.DIRECT.GET." + ckpt + ".>",
				"$JS.API.STREAM.PURGE." + ckpt,
				"$JS.API.CONSUMER.CREATE." + ckpt,
				"$JS.API.CONSUMER.CREATE." + ckpt + ".>",
				"$JS.API.CONSUMER.DELETE." + ckpt + ".>",
				"$JS.FC." + ckpt + ".>",
			},
			Deny: []string{
				trialsPrefix + ">", controlPrefix + ">", requestsPrefix + ">",
				"$JS.API.STREAM.CREATE.>", "$JS.API.STREAM.UPDATE.>", "$JS.API.STREAM.DELETE.>",
				"$JS.API.STREAM.PURGE.AUTOML_*", "$JS.API.STREAM.MSG.DELETE.>",
				"$JS.API.CONSUMER.CREATE.AUTOML_*", "$JS.API.CONSUMER.CREATE.AUTOML_*.>",
				"$JS.API.CONSUMER.DURABLE.CREATE.>", "$JS.API.CONSUMER.DELETE.AUTOML_*.>",
			},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{WorkerInbox(sender) + ".>", controlPrefix + ">"},
		},
	}
}

// joinPermissions let a holder of the join credential ask to enroll, and
// nothing else.
func joinPermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{joinSubject}},
		Subscribe: &server.SubjectPermission{Allow: []string{joinInbox + ".>"}},
	}
}
