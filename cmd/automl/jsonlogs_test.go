package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jsonLines parses every line of a process's stderr as a JSON object:
// one that is not is an error.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for i, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Errorf("stderr line %d is not JSON (%v): %q", i+1, err, l)
			continue
		}
		if r["time"] == nil || r["level"] == nil || r["msg"] == nil {
			t.Errorf("stderr line %d lacks time, level or msg: %q", i+1, l)
		}
		recs = append(recs, r)
	}
	return recs
}

// trialKeys are the attributes every log line about a trial carries;
// lines logged where the trial runs carry worker and slot too.
var trialKeys = []string{"study", "trial", "attempt"}

// checkTrialLines checks that every record naming a trial carries the
// trial's attributes, and that those logged by a worker (they name it)
// carry its slot; it returns the records with msg.
func checkTrialLines(t *testing.T, recs []map[string]any, study, msg string) (found []map[string]any) {
	t.Helper()
	for _, r := range recs {
		if r["msg"] == msg {
			found = append(found, r)
		}
		if _, ok := r["trial"]; !ok {
			continue
		}
		for _, k := range trialKeys {
			if _, ok := r[k]; !ok {
				t.Errorf("a line about a trial without %q: %v", k, r)
			}
		}
		if r["study"] != study {
			t.Errorf("a line about a trial of study %v, want %s: %v", r["study"], study, r)
		}
		if _, ok := r["slot"]; ok && r["worker"] == nil {
			t.Errorf("a worker's line about a trial without its worker: %v", r)
		}
	}
	return found
}

// automl search --log-format json writes nothing but JSON records to
// stderr (the progress as "progress" records, the closing advice as a
// record too); with --trainer-logs each line a trainer prints is an info
// record carrying study, trial, attempt, worker and slot, and so is a
// trainer's warning (the exec trainer's about a line that looks like a
// metric line); without it no trainer line is logged at info.
func TestSearchJSONLogs(t *testing.T) {
	dir := t.TempDir()
	script := `echo "to stderr $1" >&2
echo "to stdout $1"
echo '{"note": "not a metric"}'
echo '{"step": 1, "value": 1}'
`
	if err := os.WriteFile(filepath.Join(dir, "t.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	space := fmt.Sprintf(`study: logs
objective: {metric: value, direction: minimize}
budget: {trials: 6}
algorithm: {name: random, seed: 1}
trainer: {plugin: exec, config: {command: [sh, t.sh, "{x}"], workdir: %q}}
parameters:
  x: {type: float, low: 0, high: 1}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "--log-format", "json", "--trainer-logs")
	if code != 0 {
		t.Fatalf("search exited %d:\n%s", code, errOut)
	}
	recs := jsonLines(t, errOut)
	lines := checkTrialLines(t, recs, "logs", "trainer")
	seen := map[string]bool{}
	for _, r := range lines {
		for _, k := range []string{"study", "trial", "attempt", "worker", "slot", "stream", "line"} {
			if _, ok := r[k]; !ok {
				t.Errorf("trainer line without %q: %v", k, r)
			}
		}
		if r["level"] != "INFO" {
			t.Errorf("trainer line at %v, want INFO: %v", r["level"], r)
		}
		line, _ := r["line"].(string)
		if line == `{"note": "not a metric"}` {
			continue
		}
		seen[fmt.Sprintf("%v %v", r["trial"], r["stream"])] = true
		if !strings.HasPrefix(line, "to "+r["stream"].(string)+" ") {
			t.Errorf("trainer line %q on stream %v", line, r["stream"])
		}
	}
	if len(lines) != 18 || len(seen) != 12 {
		t.Errorf("%d trainer lines (%d distinct trial and stream), want 18 (6 trials, 2 lines on stdout, 1 on stderr):\n%s", len(lines), len(seen), errOut)
	}
	warned := map[any]bool{}
	for _, r := range recs {
		msg, _ := r["msg"].(string)
		if r["level"] != "WARN" || !strings.HasPrefix(msg, "trainer: trial logs/") {
			continue
		}
		if !strings.HasPrefix(msg, fmt.Sprintf("trainer: trial logs/%v/%v:", r["trial"], r["attempt"])) || r["worker"] == nil || r["slot"] == nil {
			t.Errorf("a trainer's warning without its trial's attributes, or with another trial's: %v", r)
		}
		warned[r["trial"]] = true
	}
	if len(warned) != 6 {
		t.Errorf("trainer warnings of %d trials, want 6:\n%s", len(warned), errOut)
	}
	progress := 0
	for _, r := range recs {
		if r["msg"] == "progress" && r["study"] == "logs" {
			progress++
		}
	}
	if progress == 0 || !strings.Contains(errOut, `"msg":"next: `) {
		t.Errorf("no progress record or no closing advice record:\n%s", errOut)
	}

	// Without --trainer-logs, no trainer line at info.
	_, errOut, code = automl(t, dir, "search", "-space", "space.yaml", "--db", "b.db", "--workers", "2", "--log-format", "json")
	if code != 0 {
		t.Fatalf("search exited %d:\n%s", code, errOut)
	}
	if got := checkTrialLines(t, jsonLines(t, errOut), "logs", "trainer"); len(got) != 0 {
		t.Errorf("%d trainer lines without --trainer-logs: %v", len(got), got)
	}

	// A bad format is refused (exit 2), on every command.
	for _, cmd := range [][]string{{"search", "-space", "space.yaml"}, {"studies"}, {"worker"}} {
		if _, errOut, code := automl(t, dir, append(cmd, "--log-format", "yaml")...); code != 2 || !strings.Contains(errOut, `--log-format "yaml": want text or json`) {
			t.Errorf("%v --log-format yaml: exit %d, %q", cmd, code, errOut)
		}
	}
}

// A study stopped by two SIGTERMs while its trials run logs, in JSON,
// lines about the trials it stops, each with study, trial, attempt,
// worker and slot; and the line that says how to continue is JSON too.
func TestSearchJSONLogsOfAnInterruptedStudy(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.sh"), []byte("echo started\nsleep 30\necho '{\"step\": 1, \"value\": 1}'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	space := fmt.Sprintf(`study: stopped
objective: {metric: value, direction: minimize}
budget: {trials: 4}
algorithm: {name: random, seed: 1}
trainer: {plugin: exec, config: {command: [sh, t.sh], workdir: %q}}
parameters:
  x: {type: float, low: 0, high: 1}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--workers", "2", "--log-format", "json", "--trainer-logs")
	waitFor(t, time.Minute, "two trainers started", func() bool { return strings.Count(p.logText(), `"line":"started"`) == 2 })
	// A trainer can print before the scheduler has recorded its trial as
	// running; a SIGTERM then finds nothing running to stop. The progress
	// record (every 10 s when the counts change) says when it knows.
	waitFor(t, time.Minute, "the scheduler to see two trials running", func() bool { return strings.Contains(p.logText(), `"running":2,`) })
	p.signal(t, syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, time.Minute); code != 143 {
		t.Fatalf("exit %d after two SIGTERMs, want 143:\n%s", code, p.logText())
	}
	recs := jsonLines(t, p.logText())
	back := checkTrialLines(t, recs, "stopped", "stopping trial on request")
	if len(back) != 2 {
		t.Errorf("%d lines about trials stopped, want 2:\n%s", len(back), p.logText())
	}
	for _, r := range back {
		for _, k := range []string{"study", "trial", "attempt", "worker", "slot"} {
			if _, ok := r[k]; !ok {
				t.Errorf("line about a trial stopped without %q: %v", k, r)
			}
		}
	}
	if !strings.Contains(p.logText(), `"msg":"study stopped interrupted by SIGTERM`) {
		t.Errorf("no JSON line says how to continue:\n%s", p.logText())
	}
}
