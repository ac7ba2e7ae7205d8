//go:build unix

package gp_test

import "syscall"

// cpuSeconds is the process's user and system CPU time so far: on a
// shared machine it measures the work of a benchmark where wall time
// measures the queue for the cores as well.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
