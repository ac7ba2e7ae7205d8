package searchtest

import "automl/internal/cputime"

// CPUSeconds is the process's user and system CPU time so far. On a
// shared machine a benchmark's CPU time measures its work, where wall
// time measures the queue for the cores as well.
func CPUSeconds() float64 { return cputime.Process().Seconds() }
