//go:build !unix

package searchtest

// CPUSeconds is not measured here: 0 (see cputime_unix.go).
func CPUSeconds() float64 { return 0 }
