package main

import (
	"fmt"
	"math"
	"time"
)

// Upper limits of the flags that scheduler, spacefile and worker do not
// bound themselves (--parallel, --workers, --trials and --timeout use
// theirs). Each is past any real need: a larger value is a typo, refused
// (exit 2) with the flag and its limit named, before it costs anything.
const (
	// maxCount bounds the failure budgets, as the space file does.
	maxCount = math.MaxInt32
	// maxDeliver: a job handed out a thousand times is a loop, not bad luck.
	maxDeliver = 1000
	// maxReplicas is JetStream's own most.
	maxReplicas = 5
	// maxAckWait: a worker that dies keeps its jobs for one lease; past a
	// day the study waits a day for them.
	maxAckWait = 24 * time.Hour
	// maxGrace: running trials may finish for up to a day after a signal.
	maxGrace = 24 * time.Hour
)

// atMost refuses a flag's value over its most; why says where the most
// comes from ("": nothing to add).
func atMost[T int | time.Duration](flag string, v, most T, why string) error {
	if v <= most {
		return nil
	}
	m := fmt.Sprint(most)
	if d, ok := any(most).(time.Duration); ok && d%time.Hour == 0 {
		m = fmt.Sprintf("%dh", d/time.Hour)
	}
	if why != "" {
		m += " (" + why + ")"
	}
	return usagef("%s must be at most %s, got %v", flag, m, v)
}

// firstError is the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
