//go:build unix

package searchtest

import "syscall"

// CPUSeconds is the process's user and system CPU time so far. On a
// shared machine a benchmark's CPU time measures its work, where wall
// time measures the queue for the cores as well.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
