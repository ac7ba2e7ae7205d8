package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Limits a real user never reaches, each refused with exit 2 and a
// message naming the flag (or space file key, at its line and column) and
// the limit.
func TestLimitsAreClearErrors(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "limits", 100, 0)
	if err := os.WriteFile(filepath.Join(dir, "huge.yaml"), []byte(strings.Replace(readFile(filepath.Join(dir, "space.yaml")), "trials: 100", "trials: 5000000000", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	search := []string{"search", "-space", "space.yaml"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(search, "--parallel", "1000000"), "--parallel must be at most 4096 (trials queued or running at once, a fleet's slots), got 1000000"},
		{append(search, "--workers", "100000"), "--workers must be at most 1024 (each slot is a trainer process of this machine), got 100000"},
		{append(search, "--trials", "10000000000"), "--trials must be at most 1000000000 (a billion), got 10000000000"},
		{append(search, "--timeout", "10000h"), "--timeout must be at most 8760h (a year), got 10000h"},
		{append(search, "--timeout-grace", "48h"), "--timeout-grace must be at most 24h (a day), got 48h0m0s"},
		{append(search, "--timeout-grace", "-1s"), "--timeout-grace must be >= 0, got -1s"},
		{append(search, "--ack-wait", "48h"), "--ack-wait must be at most 24h (a day), got 48h0m0s"},
		{append(search, "--max-deliver", "100000"), "--max-deliver must be at most 1000, got 100000"},
		{append(search, "--replicas", "7"), "--replicas must be at most 5 (JetStream's most), got 7"},
		{append(search, "--retries", "3000000000"), "--retries must be at most 2147483647, got 3000000000"},
		{[]string{"search", "-space", "huge.yaml"}, "huge.yaml:3:18: budget.trials: must be at most 1000000000 (a billion), got 5000000000"},
		{[]string{"worker", "--gpus", "none", "--slots", "1000000"}, "--slots must be 0 to 1024 (0: the default), got 1000000"},
		{[]string{"worker", "--grace", "48h"}, "--grace must be at most 24h (a day), got 48h0m0s"},
	} {
		_, errOut, code := automl(t, dir, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("automl %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, exitUsage, tc.want)
		}
	}
}
