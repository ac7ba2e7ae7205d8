package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// logSpace writes an exec study of n trials running script under sh, with
// extra lines added to its trainer section.
func logSpace(t *testing.T, dir, study string, n int, budget, script, trainer string) {
	t.Helper()
	space := fmt.Sprintf(`study: %s
objective: {metric: loss, direction: minimize}
budget: {trials: %d%s}
algorithm: {name: random, seed: 1}
trainer:
  plugin: exec
  config: {command: [sh, -c, %q]}
%s
parameters:
  x: {type: int, low: 0, high: 100}
`, study, n, budget, script, trainer)
	if err := os.WriteFile(filepath.Join(dir, "space.yaml"), []byte(space), 0o644); err != nil {
		t.Fatal(err)
	}
}

// chatty prints on both streams; trial 1 fails with a Python-like
// traceback on stderr (and prints nothing on stdout: two pipes are read
// apart, so which of two lines on different streams came first is known
// only as well as the times they were read).
const chatty = `if [ "$AUTOML_TRIAL_ID" = 1 ]; then echo "starting trial 1" >&2; echo "Traceback (most recent call last):" >&2; echo "ValueError: trial one fails" >&2; exit 3; fi
echo "hello from trial $AUTOML_TRIAL_ID"; echo "a note on stderr" >&2; echo '{"loss": 1}'; echo "goodbye from trial $AUTOML_TRIAL_ID"`

// The log of a trial of a study that ran on the embedded default (and is
// over): every line, in order, whatever the stream; a failed trial's last
// lines; --tail, --timestamps, --json; the line about the trial on stderr;
// clear errors for a trial or attempt that does not exist.
func TestLogsOfAFinishedStudy(t *testing.T) {
	dir := t.TempDir()
	logSpace(t, dir, "logs", 3, "", chatty, "")
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "1"); code != 0 {
		t.Fatalf("search exit %d:\n%s%s", code, out, errOut)
	}
	// The two streams are read apart: each keeps its order, and lines
	// are placed by when they were read.
	out, errOut, code := automl(t, dir, "logs", "logs", "0")
	if code != 0 || !inOrder(out, "hello from trial 0\n", "goodbye from trial 0\n") || !strings.Contains("\n"+out, "\na note on stderr\n") || strings.Count(out, "\n") != 3 {
		t.Errorf("logs 0: exit %d, stdout:\n%s", code, out)
	}
	if !strings.Contains(errOut, "study logs trial 0, attempt 1 of 1 (completed), on ") || !strings.Contains(errOut, ": 3 lines, ") {
		t.Errorf("logs 0: stderr %q", errOut)
	}
	out, _, code = automl(t, dir, "logs", "logs", "1", "--tail", "2")
	if code != 0 || out != "Traceback (most recent call last):\nValueError: trial one fails\n" {
		t.Errorf("logs 1 --tail 2: exit %d, stdout:\n%s", code, out)
	}
	out, _, _ = automl(t, dir, "logs", "logs", "0", "-t")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(out, " stderr a note on stderr\n") || !strings.Contains(out, " stdout hello from trial 0\n") || !strings.HasPrefix(lines[0], time.Now().Format("2006-01-02 ")) {
		t.Errorf("logs 0 -t:\n%s", out)
	}
	out, _, _ = automl(t, dir, "logs", "logs", "0", "--json")
	streams := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var line struct {
			Time    time.Time
			Stream  string
			Text    string
			Attempt int
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil || line.Attempt != 1 || time.Since(line.Time) > time.Hour {
			t.Errorf("logs --json line %q: %+v, %v", l, line, err)
		}
		streams[line.Text] = line.Stream
	}
	if len(streams) != 3 || streams["goodbye from trial 0"] != "stdout" || streams["a note on stderr"] != "stderr" {
		t.Errorf("logs --json:\n%s", out)
	}
	// automl check verifies the log records with the others.
	if out, _, code := automl(t, dir, "check"); code != 0 || !regexp.MustCompile(`reports, [1-9]\d* log records checked; every checksum matches`).MatchString(out) {
		t.Errorf("check: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "logs", "7"}, "study logs has no trial 7"},
		{[]string{"logs", "logs", "0", "--attempt", "2"}, "trial 0 of study logs has one attempt; there is no attempt 2"},
		{[]string{"logs", "nope", "0"}, `no study "nope"`},
		{[]string{"logs", "logs", "x"}, `trial "x": want a trial id`},
	} {
		if _, errOut, code := automl(t, dir, tc.args...); code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("automl %v: exit %d, %q; want %d and %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}
}

// inOrder reports whether s holds each of parts, in that order.
func inOrder(s string, parts ...string) bool {
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// An attempt keeps its last trainer.log_limit bytes and says what it
// dropped; a trial that ran again keeps each attempt's log apart.
func TestLogsLimitAndAttempts(t *testing.T) {
	dir := t.TempDir()
	script := `i=0; while [ $i -lt 300 ]; do echo "line $i of a trial that prints more than its limit ......"; i=$((i+1)); done
if [ ! -f tried ]; then touch tried; echo "first try fails"; exit 1; fi
echo "second try"; echo '{"loss": 1}'`
	logSpace(t, dir, "limit", 1, ", retries: 1", script, "  log_limit: 4KiB")
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "1"); code != 0 {
		t.Fatalf("search exit %d:\n%s%s", code, out, errOut)
	}
	out, errOut, code := automl(t, dir, "logs", "limit", "0")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(out) > 4096+200 || !strings.HasPrefix(lines[0], "[automl: ") || !strings.Contains(lines[0], "of earlier output dropped; an attempt keeps its last 4 KiB (trainer.log_limit)]") || lines[len(lines)-1] != "second try" {
		t.Errorf("logs of attempt 2: exit %d, %d bytes, first line %q, last %q", code, len(out), lines[0], lines[len(lines)-1])
	}
	if !strings.Contains(errOut, "attempt 2 of 2 (completed)") || !strings.Contains(errOut, "attempt 1 printed too (--attempt)") {
		t.Errorf("logs stderr: %q", errOut)
	}
	out, errOut, code = automl(t, dir, "logs", "limit", "0", "--attempt", "1", "--tail", "2")
	if code != 0 || out != "line 299 of a trial that prints more than its limit ......\nfirst try fails\n" || !strings.Contains(errOut, "attempt 1 of 2 (an earlier attempt; the trial is completed)") {
		t.Errorf("logs --attempt 1 --tail 2: exit %d\n%s%s", code, out, errOut)
	}
}

// follows is a trial that prints a tick every 0.1 s until the file go
// appears in the worker's directory, then ends.
const follows = `echo "started $AUTOML_TRIAL_ID"; while [ ! -f go ]; do echo tick; sleep 0.1; done; echo "finished $AUTOML_TRIAL_ID" >&2; echo '{"loss": 1}'`

// followUntilDone starts automl logs --follow on trial 0 (running), checks
// that lines come while it runs, lets the trial end, and checks that the
// command ends with it, having printed everything.
func followUntilDone(t *testing.T, dir, study string, args ...string) {
	t.Helper()
	waitFor(t, time.Minute, "trial 0 running", func() bool {
		trs, ok := fleetTrials(t, dir, study)
		return ok && len(trs) > 0 && trs[0].State == "running"
	})
	f := startAutoml(t, dir, "follow", append([]string{"logs", study, "0", "--follow"}, args...)...)
	waitFor(t, time.Minute, "ticks while the trial runs", func() bool {
		return strings.Count(readFile(f.out), "tick\n") >= 3
	})
	select {
	case <-f.exited:
		t.Fatal("logs --follow ended while the trial ran")
	default:
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := f.wait(t, time.Minute); code != 0 {
		t.Fatalf("logs --follow exited %d:\n%s", code, f.logText())
	}
	out := readFile(f.out)
	if !strings.HasPrefix(out, "started 0\ntick\n") || !strings.HasSuffix(out, "tick\nfinished 0\n") {
		t.Errorf("logs --follow printed:\n%s", out)
	}
	if !strings.Contains(f.logText(), "trial 0 attempt 1 ended (completed)") {
		t.Errorf("logs --follow stderr:\n%s", f.logText())
	}
}

// --follow on the embedded default: a running trial's lines as they come,
// through the running automl search, until the trial ends.
func TestLogsFollowARunningTrial(t *testing.T) {
	dir := t.TempDir()
	logSpace(t, dir, "follow", 1, "", follows, "")
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--workers", "1")
	followUntilDone(t, dir, "follow")
	if code := search.wait(t, time.Minute); code != 0 {
		t.Fatalf("search exited %d", code)
	}
}

// A fleet: the trial runs in an automl worker process on a real NATS
// server; its lines reach the study file, and --follow streams them.
func TestLogsOfATrialOnARemoteWorker(t *testing.T) {
	bin := natsServerBin(t)
	dir := t.TempDir()
	port := freePort(t)
	srv := startNATS(t, bin, "n1", port, dir, nil)
	waitJetStream(t, srv.url())
	logSpace(t, dir, "remote", 2, "", follows, "")
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--nats", srv.url(), "--workers", "0", "--parallel", "1")
	worker := startAutoml(t, dir, "worker", append([]string{"worker", "--nats", srv.url(), "--name", "gpu-box-7", "--gpus", "none", "--slots", "1"}, trustFlag(t, dir)...)...)
	followUntilDone(t, dir, "remote")
	if code := search.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s", code, tailFile(search.log, 20))
	}
	worker.signal(t, 15)
	worker.wait(t, time.Minute)
	out, errOut, code := automl(t, dir, "logs", "remote", "1", "--timestamps")
	if code != 0 || !strings.Contains(out, " stdout started 1\n") || !strings.Contains(out, " stderr finished 1\n") || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "on gpu-box-7") {
		t.Errorf("logs of trial 1: exit %d\n%s%s", code, out, errOut)
	}
}

// The HTML report of a study with a failed trial: its row in the
// leaderboard opens the trial's last lines and the automl logs command
// that prints them all, and so does its cause's group; checked in the
// page's data and, in headless chromium, by clicking.
func TestReportLinksFailedTrialsToTheirLog(t *testing.T) {
	dir := t.TempDir()
	// count_failed: the failed trial is one of the three, not replaced.
	logSpace(t, dir, "logs", 3, ", count_failed: true", chatty, "")
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "1", "--db", "runs.db"); code != 0 {
		t.Fatalf("search exit %d:\n%s%s", code, out, errOut)
	}
	if _, errOut, code := automl(t, dir, "report", "logs", "--db", "runs.db", "-o", "report.html"); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	page := readFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(page, `"logs":{"1":{"attempt":1,"total":3,"lines":[[`) || !strings.Contains(page, `"ValueError: trial one fails"]`) || !strings.Contains(page, `"db":"runs.db"`) {
		t.Fatalf("the page's data lacks trial 1's log:\n%.3000s", page[strings.Index(page, `"logs":`):])
	}
	chromiumPath(t)
	b := startBrowser(t, 1400, 1800)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.call(ctx, true, "Page.navigate", map[string]any{"url": "file://" + filepath.Join(dir, "report.html")}, nil); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, ctx, `document.querySelectorAll('#leaderboard tr[data-trial]').length`, "3")
	if n, _ := b.eval(ctx, `document.querySelectorAll('[data-log-button]').length`); n != "1" {
		t.Errorf("%s log buttons, want one (the failed trial's)", n)
	}
	if _, err := b.eval(ctx, `document.querySelector('[data-log-button="1"]').click()`); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, ctx, `!!document.querySelector('tr.logrow[data-log-of="1"] pre.log')`, "true")
	got, _ := b.eval(ctx, `document.querySelector('tr.logrow[data-log-of="1"]').textContent`)
	for _, want := range []string{"3 lines of attempt 1", "automl logs logs 1 --db runs.db", "Traceback (most recent call last):", "ValueError: trial one fails"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log row lacks %q: %s", want, got)
		}
	}
	if n, _ := b.eval(ctx, `document.querySelectorAll('#reasons details.trial-log pre.log span.l-e').length`); n != "3" {
		t.Errorf("the cause's group shows %s stderr lines of trial 1's log, want 3", n)
	}
	// Closed again with the same button.
	b.eval(ctx, `document.querySelector('[data-log-button="1"]').click()`)
	b.waitFor(t, ctx, `document.querySelectorAll('tr.logrow').length`, "0")
}
