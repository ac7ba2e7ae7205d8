package natsbus

import (
	"maps"
	"testing"

	"automl/trial"
)

// The reference kept for a trial is its newest attempt's, of that attempt
// its newest delivery's (the first one of a delivery): a late exit of an
// older run does not displace it, nor does an exit without a checkpoint;
// take hands the references out once.
func TestCheckpointRefsKeepTheNewestRun(t *testing.T) {
	exit := func(id, attempt, delivery int, ref string) *trial.Event {
		return &trial.Event{Key: trial.Key{Study: "s", ID: id, Attempt: attempt}, Delivery: delivery,
			Kind: trial.Exited, Result: &trial.Result{Checkpoint: ref}}
	}
	var refs trialRefs
	for _, ev := range []*trial.Event{
		exit(1, 1, 1, "a1"),
		exit(1, 2, 1, "a2"),
		exit(1, 1, 2, "late"), // an older attempt's run, redelivered
		exit(1, 2, 1, "dup"),  // another exit of the same delivery
		exit(1, 3, 1, ""),     // crashed: no checkpoint
		exit(2, 1, 1, "b1"),
		exit(2, 1, 2, "b2"),
		{Key: trial.Key{Study: "s", ID: 3, Attempt: 1}, Kind: trial.Reported},
	} {
		refs.note(ev)
	}
	if got, want := refs.take([]int{1, 2, 3}), map[int]string{1: "a2", 2: "b2"}; !maps.Equal(got, want) {
		t.Errorf("take = %v, want %v", got, want)
	}
	if got := refs.take([]int{1, 2}); len(got) != 0 || len(refs.m) != 0 {
		t.Errorf("references kept after take: %v (%d held)", got, len(refs.m))
	}
}
