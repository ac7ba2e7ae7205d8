package natsbus

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"automl/trial"
)

// Stream and subject names of the protocol (DESIGN.md section 6).
const (
	// TrialsStream holds queued jobs, one message per attempt.
	TrialsStream = "AUTOML_TRIALS"
	// EventsStream holds worker events until their study's scheduler acks them.
	EventsStream = "AUTOML_EVENTS"

	// AdvisoriesStream keeps the server's max-deliveries advisories of
	// AUTOML_TRIALS until a Dispatcher has failed their trials.
	AdvisoriesStream = "AUTOML_ADVISORIES"
	// CheckpointBucket is the object store holding trial checkpoints, keyed
	// <study>/<id>/<resource> (CheckpointKey).
	CheckpointBucket = "automl-checkpoints"

	trialsPrefix   = "automl.trials."
	eventsPrefix   = "automl.events."
	controlPrefix  = "automl.control."
	requestsPrefix = "automl.requests."

	// maxDeliveries is the server's advisory for a job handed out
	// MaxDeliver times without an ack.
	maxDeliveries = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + TrialsStream + ".*"
	// exhaustedConsumer is the durable consumer of AdvisoriesStream that
	// every Dispatcher shares.
	exhaustedConsumer = "dispatchers"
)

// ErrBadName is returned for a study or pool name that cannot be a NATS
// subject token.
var ErrBadName = errors.New("name is not a valid subject token")

// tokenRe is the study-name rule of the space file (spacefile/parse.go):
// lowercase letters, digits, '-' and '_'. It keeps names free of the subject
// metacharacters '.', '*', '>' and whitespace, and valid as consumer names.
var tokenRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func checkToken(kind, s string) error {
	if !tokenRe.MatchString(s) {
		return fmt.Errorf("%s %q: %w (use 1-64 lowercase letters, digits, '-' or '_')", kind, s, ErrBadName)
	}
	return nil
}

// jobSubject is automl.trials.<pool>.<study>.<id>.
func jobSubject(pool, study string, id int) string {
	return trialsPrefix + pool + "." + study + "." + strconv.Itoa(id)
}

// jobMsgID deduplicates a resubmitted attempt: <study>/<id>/<attempt>.
func jobMsgID(k trial.Key) string { return k.String() }

// poolFilter selects a pool's jobs.
func poolFilter(pool string) string { return trialsPrefix + pool + ".>" }

// trialJobs selects a trial's jobs in any pool.
func trialJobs(study string, id int) string {
	return trialsPrefix + "*." + study + "." + strconv.Itoa(id)
}

// eventSubject is automl.events.<study>.<id>.
func eventSubject(k trial.Key) string {
	return eventsPrefix + k.Study + "." + strconv.Itoa(k.ID)
}

// eventMsgID is <study>/<id>/<attempt>/<delivery>/<seq>.
func eventMsgID(ev *trial.Event) string {
	return fmt.Sprintf("%s/%d/%d/%d/%d", ev.Key.Study, ev.Key.ID, ev.Key.Attempt, ev.Delivery, ev.Seq)
}

func studyEvents(study string) string { return eventsPrefix + study + ".>" }

// controlSubject is automl.control.<study>.<id>.
func controlSubject(k trial.Key) string {
	return controlPrefix + k.Study + "." + strconv.Itoa(k.ID)
}

// WorkerConsumer names a pool's durable job consumer.
func WorkerConsumer(pool string) string { return "workers-" + pool }

// SchedulerConsumer names a study's durable event consumer.
func SchedulerConsumer(study string) string { return "scheduler-" + study }

// keyFromJob recovers what it can of a job's key when its payload does not
// decode: study and id from the subject, the attempt from Nats-Msg-Id.
func keyFromJob(subject, msgID string) (trial.Key, bool) {
	rest, ok := strings.CutPrefix(subject, trialsPrefix)
	if !ok {
		return trial.Key{}, false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 || !tokenRe.MatchString(parts[1]) {
		return trial.Key{}, false
	}
	id, err := strconv.Atoi(parts[2])
	if err != nil || id < 0 {
		return trial.Key{}, false
	}
	k := trial.Key{Study: parts[1], ID: id}
	if f := strings.Split(msgID, "/"); len(f) == 3 && f[0] == k.Study && f[1] == parts[2] {
		if a, err := strconv.Atoi(f[2]); err == nil && a >= 0 {
			k.Attempt = a
		}
	}
	return k, true
}

// requestSubject is automl.requests.<study>: requests to the study's
// scheduler (automl stop).
func requestSubject(study string) string { return requestsPrefix + study }

// CheckpointKey names a trial's checkpoint at a resource in the object
// store: <study>/<id>/<resource>.
func CheckpointKey(study string, id int, resource float64) string {
	return study + "/" + strconv.Itoa(id) + "/" + strconv.FormatFloat(resource, 'g', -1, 64)
}

// checkpointPrefix is the prefix of every checkpoint of a trial.
func checkpointPrefix(study string, id int) string { return study + "/" + strconv.Itoa(id) + "/" }
