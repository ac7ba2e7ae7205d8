//go:build unix

package model

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user + system, all
// threads): on a machine shared with other work, what a benchmark's
// wall time cannot isolate.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
