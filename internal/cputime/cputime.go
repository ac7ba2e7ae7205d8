// Package cputime reads the CPU time this process has used (user and
// system, all threads). On a machine shared with other work a
// benchmark's CPU time measures its own work, where wall time measures the
// queue for the cores as well; the benchmarks report both.
package cputime
