package natsbus

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"automl/internal/studyname"
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
	// <study>/<incarnation>/<id>/<resource> (CheckpointKey).
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

// tokenRe is the rule of pool names, incarnations and worker names:
// lowercase letters, digits, '-' and '_'. It keeps names free of the subject
// metacharacters '.', '*', '>' and whitespace, and valid as consumer names.
// At most 64 bytes, checked apart (isToken): the bounded repetition
// {0,63} compiled to 64 copies of the class at every process start.
var tokenRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

func isToken(s string) bool { return len(s) <= 64 && tokenRe.MatchString(s) }

func checkToken(kind, s string) error {
	if !isToken(s) {
		return fmt.Errorf("%s %q: %w (use 1-64 lowercase letters, digits, '-' or '_')", kind, s, ErrBadName)
	}
	return nil
}

// checkStudy checks a study name (internal/studyname: letters of any
// script). A study travels as its token, studyname.Token: itself when
// ASCII, else "_xn--" and its Punycode, which subjects, consumer names and
// key-value keys all take.
func checkStudy(study string) error {
	if err := studyname.Check(study); err != nil {
		return fmt.Errorf("study %q %v: %w (a study name is %s)", study, err, ErrBadName, studyname.Rule)
	}
	return nil
}

// tok is a study's name on the wire.
func tok(study string) string { return studyname.Token(study) }

// A study's jobs, events, stop requests and checkpoints are named by its
// incarnation as well as its name (trial.Key.Incarnation), so two studies
// of one name never meet on the wire.

// jobSubject is automl.trials.<pool>.<study>.<incarnation>.<id>.
func jobSubject(pool string, k trial.Key) string {
	return trialsPrefix + pool + "." + tok(k.Study) + "." + k.Incarnation + "." + strconv.Itoa(k.ID)
}

// jobMsgID deduplicates a resubmitted attempt: <study>/<incarnation>/<id>/<attempt>.
func jobMsgID(k trial.Key) string {
	return tok(k.Study) + "/" + k.Incarnation + "/" + strconv.Itoa(k.ID) + "/" + strconv.Itoa(k.Attempt)
}

// poolFilter selects a pool's jobs.
func poolFilter(pool string) string { return trialsPrefix + pool + ".>" }

// trialJobs selects a trial's jobs in any pool.
func trialJobs(study, inc string, id int) string {
	return trialsPrefix + "*." + tok(study) + "." + inc + "." + strconv.Itoa(id)
}

// studyJobs selects every job of a study incarnation, in any pool.
func studyJobs(study, inc string) string { return trialsPrefix + "*." + tok(study) + "." + inc + ".*" }

// eventSubject is automl.events.<study>.<incarnation>.<id>.<sender>: the
// sender is a worker's token (SenderToken), which a fleet server lets only
// that worker publish under, so the subject says who sent an event.
func eventSubject(k trial.Key, sender string) string {
	return trialEvents(k) + "." + sender
}

// trialEvents is the subject of a trial's events, less the sender.
func trialEvents(k trial.Key) string {
	return eventsPrefix + tok(k.Study) + "." + k.Incarnation + "." + strconv.Itoa(k.ID)
}

// schedulerSender is the sender token of the events a dispatcher stores
// itself (a job that ran out of deliveries): no worker's token, since
// those start with a letter or digit.
const schedulerSender = "_scheduler"

// SenderToken turns a worker's name into the token its events are sent
// under: lowercase letters, digits, '-' and '_' (others become '-'), at
// most 64.
func SenderToken(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	t := strings.Trim(string(b), "-_")
	if len(t) > 64 {
		t = strings.Trim(t[:64], "-_")
	}
	if t == "" {
		return "worker"
	}
	return t
}

// senderOf is the sender token of an event subject ("" when the subject
// has none).
func senderOf(subject string) string {
	parts := strings.Split(subject, ".")
	if len(parts) != 6 {
		return ""
	}
	return parts[5]
}

// eventMsgID is <study>/<incarnation>/<id>/<attempt>/<delivery>/<seq>/<sender>:
// with the sender in it, nobody else can take an event's id first (the
// server would drop the real one as a duplicate).
func eventMsgID(ev *trial.Event, sender string) string {
	return jobMsgID(ev.Key) + "/" + strconv.Itoa(ev.Delivery) + "/" + strconv.Itoa(ev.Seq) + "/" + sender
}

// studyEvents selects every event of a study incarnation.
func studyEvents(study, inc string) string { return eventsPrefix + tok(study) + "." + inc + ".>" }

// controlSubject is automl.control.<study>.<incarnation>.<id>.
func controlSubject(k trial.Key) string {
	return controlPrefix + tok(k.Study) + "." + k.Incarnation + "." + strconv.Itoa(k.ID)
}

// WorkerConsumer names a pool's durable job consumer.
func WorkerConsumer(pool string) string { return "workers-" + pool }

// SchedulerConsumer names the durable event consumer of a study
// incarnation.
func SchedulerConsumer(study, inc string) string { return "scheduler-" + tok(study) + "-" + inc }

// checkKey checks the names a key puts into subjects.
func checkKey(k trial.Key) error {
	if err := checkStudy(k.Study); err != nil {
		return err
	}
	if err := checkToken("incarnation", k.Incarnation); err != nil {
		return err
	}
	if k.ID < 0 {
		return fmt.Errorf("trial %v: negative id", k)
	}
	return nil
}

// keyFromJob recovers what it can of a job's key when its payload does not
// decode: study, incarnation and id from the subject, the attempt from
// Nats-Msg-Id.
func keyFromJob(subject, msgID string) (trial.Key, bool) {
	rest, ok := strings.CutPrefix(subject, trialsPrefix)
	if !ok {
		return trial.Key{}, false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 4 || !isToken(parts[2]) {
		return trial.Key{}, false
	}
	study, ok := studyname.FromToken(parts[1])
	if !ok {
		return trial.Key{}, false
	}
	id, err := strconv.Atoi(parts[3])
	if err != nil || id < 0 {
		return trial.Key{}, false
	}
	k := trial.Key{Study: study, Incarnation: parts[2], ID: id}
	if f := strings.Split(msgID, "/"); len(f) == 4 && f[0] == parts[1] && f[1] == k.Incarnation && f[2] == parts[3] {
		if a, err := strconv.Atoi(f[3]); err == nil && a >= 0 {
			k.Attempt = a
		}
	}
	return k, true
}

// requestSubject is automl.requests.<study>: requests to the study's
// scheduler (automl stop).
func requestSubject(study string) string { return requestsPrefix + tok(study) }

// CheckpointKey names the checkpoint one run (an attempt's delivery) of a
// trial saved at a resource: <study>/<incarnation>/<id>/<resource>/<attempt>.<delivery>.
// Every run writes its own object: a job delivered twice (its first worker
// lost) runs twice, and the second run must not replace the checkpoint
// the first one's result names.
func CheckpointKey(k trial.Key, delivery int, resource float64) string {
	return checkpointPrefix(k.Study, k.Incarnation, k.ID) + strconv.FormatFloat(resource, 'g', -1, 64) +
		"/" + strconv.Itoa(k.Attempt) + "." + strconv.Itoa(delivery)
}

// checkpointPrefix is the prefix of every checkpoint of a trial.
func checkpointPrefix(study, inc string, id int) string {
	return tok(study) + "/" + inc + "/" + strconv.Itoa(id) + "/"
}
