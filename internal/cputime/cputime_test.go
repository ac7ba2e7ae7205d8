package cputime

import (
	"runtime"
	"testing"
)

// TestProcessGrowsWithWork: spinning for a while uses CPU time, which
// Process counts (on unix, where it is measured).
func TestProcessGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("CPU time is not measured on " + runtime.GOOS)
	}
	before := Process()
	x := 1.0
	for i := 0; i < 50_000_000; i++ {
		x = x*1.0000001 + 1e-9
	}
	after := Process()
	if after <= before || x == 0 {
		t.Fatalf("CPU time %v before 50M multiply-adds and %v after: it did not grow", before, after)
	}
}
