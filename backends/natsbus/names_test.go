package natsbus

import (
	"strings"
	"testing"

	"automl/trial"
)

func TestKeyFromJob(t *testing.T) {
	cases := []struct {
		subject, msgID string
		want           trial.Key
		ok             bool
	}{
		{"automl.trials.default.s1.i1.5", "s1/i1/5/2", trial.Key{Study: "s1", Incarnation: "i1", ID: 5, Attempt: 2}, true},
		{"automl.trials.gpu.s1.i1.5", "", trial.Key{Study: "s1", Incarnation: "i1", ID: 5}, true},
		{"automl.trials.gpu.s1.i1.5", "s2/i1/5/2", trial.Key{Study: "s1", Incarnation: "i1", ID: 5}, true}, // id of another trial: attempt unknown
		{"automl.trials.gpu.s1.i1.5", "s1/i2/5/2", trial.Key{Study: "s1", Incarnation: "i1", ID: 5}, true}, // another incarnation's id
		{"automl.trials.default.s1.i1.x", "s1/i1/x/1", trial.Key{}, false},
		{"automl.trials.default.s1.i1.-1", "", trial.Key{}, false},
		{"automl.trials.default.S!.i1.1", "", trial.Key{}, false},
		{"automl.trials.default.s1.I!.1", "", trial.Key{}, false},
		{"automl.trials.s1.1", "", trial.Key{}, false},
		{"automl.trials.default.s1.1", "", trial.Key{}, false},
		{"automl.events.default.s1.i1.1", "", trial.Key{}, false},
		// a study of another script travels as its token, and comes back
		{"automl.trials.default._xn--ber-goa.i1.5", "_xn--ber-goa/i1/5/2", trial.Key{Study: "über", Incarnation: "i1", ID: 5, Attempt: 2}, true},
		{"automl.trials.default._xn--ber-goa-.i1.5", "", trial.Key{}, false}, // no name has this token
	}
	for _, c := range cases {
		got, ok := keyFromJob(c.subject, c.msgID)
		if got != c.want || ok != c.ok {
			t.Errorf("keyFromJob(%q, %q) = %v, %v; want %v, %v", c.subject, c.msgID, got, ok, c.want, c.ok)
		}
	}
}

func TestSubjects(t *testing.T) {
	k := trial.Key{Study: "s1", Incarnation: "0a1b", ID: 12, Attempt: 3}
	ev := &trial.Event{Key: k, Delivery: 2, Seq: 4}
	u := trial.Key{Study: "über", Incarnation: "0a1b", ID: 12, Attempt: 3}
	for _, c := range [][2]string{
		{jobSubject("gpu", k), "automl.trials.gpu.s1.0a1b.12"},
		{jobMsgID(k), "s1/0a1b/12/3"},
		{trialJobs(k.Study, k.Incarnation, k.ID), "automl.trials.*.s1.0a1b.12"},
		{studyJobs(k.Study, k.Incarnation), "automl.trials.*.s1.0a1b.*"},
		{eventSubject(k, "gpu-1"), "automl.events.s1.0a1b.12.gpu-1"},
		{senderOf(eventSubject(k, "gpu-1")), "gpu-1"},
		{senderOf("automl.events.s1.0a1b.12"), ""},
		{eventMsgID(ev, "gpu-1"), "s1/0a1b/12/3/2/4/gpu-1"},
		{SenderToken("GPU-Box.example.com"), "gpu-box-example-com"},
		{SenderToken("..."), "worker"},
		{SenderToken(strings.Repeat("a", 70)), strings.Repeat("a", 64)},
		{controlSubject(k), "automl.control.s1.0a1b.12"},
		{studyEvents("s1", "0a1b"), "automl.events.s1.0a1b.>"},
		{poolFilter("gpu"), "automl.trials.gpu.>"},
		{CheckpointKey(k, 2, 9), "s1/0a1b/12/9/3.2"},
		{SchedulerConsumer("s1", "0a1b"), "scheduler-s1-0a1b"},
		{jobSubject("gpu", u), "automl.trials.gpu._xn--ber-goa.0a1b.12"},
		{jobMsgID(u), "_xn--ber-goa/0a1b/12/3"},
		{eventSubject(u, "gpu-1"), "automl.events._xn--ber-goa.0a1b.12.gpu-1"},
		{controlSubject(u), "automl.control._xn--ber-goa.0a1b.12"},
		{studyEvents("über", "0a1b"), "automl.events._xn--ber-goa.0a1b.>"},
		{studyJobs("über", "0a1b"), "automl.trials.*._xn--ber-goa.0a1b.*"},
		{requestSubject("über"), "automl.requests._xn--ber-goa"},
		{CheckpointKey(u, 2, 9), "_xn--ber-goa/0a1b/12/9/3.2"},
		{SchedulerConsumer("über", "0a1b"), "scheduler-_xn--ber-goa-0a1b"},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
}

// Pool, incarnation and worker tokens are 1 to 64 bytes of [a-z0-9_-],
// not starting with '-' or '_' (checked apart from the pattern's length).
func TestTokenBounds(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"a", true}, {strings.Repeat("a", 64), true}, {strings.Repeat("a", 65), false}, {"", false},
		{"gpu-1_x", true}, {"-gpu", false}, {"_gpu", false}, {"Gpu", false}, {"gpu.1", false}, {"gpu*", false},
	} {
		if err := checkToken("pool", tc.s); (err == nil) != tc.ok {
			t.Errorf("checkToken(%q) = %v, want ok %v", tc.s, err, tc.ok)
		}
	}
}
