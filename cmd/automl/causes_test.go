package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// missingModule is the cause every trial of failingStudy gives.
const missingModule = "ModuleNotFoundError: No module named 'automl_no_such_module'"

// failingStudy writes an exec study whose Python script imports a module
// that does not exist (it prints a line first, as scripts do), runs it,
// and returns the folder and the search's standard output. Every trial
// fails the same way, each with its own trial key in its error.
func failingStudy(t *testing.T) (dir, out string) {
	t.Helper()
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("no %s: %v", python, err)
	}
	dir = t.TempDir()
	script := "print('loading the data', flush=True)\nimport automl_no_such_module\n"
	space := `study: nomod
objective: {metric: val_loss, direction: minimize}
budget: {trials: 8, max_failed: 5}
algorithm: {name: random, seed: 1}
trainer:
  plugin: exec
  config: {command: [` + python + `, train.py], workdir: ` + dir + `}
parameters:
  x: {type: float, low: 0, high: 1}
`
	for name, text := range map[string]string{"train.py": script, "space.yaml": space} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, _ := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2")
	if !strings.Contains(out, "failed") {
		t.Fatalf("search printed no failed trial:\n%s\n%s", out, errOut)
	}
	return dir, out
}

// A failure's reason is its cause wherever a reason is shown: the search's
// summary, its leaderboard's notes and its grouped causes, `trials`, and
// the md, csv and json reports. Identical failures make one group (no
// trial keys in it) that lists the trials and quotes the output; never a
// reason that ends in "its log ends:". Pending trials the study never ran
// come after the failures that ended it.
func TestFailureCausesShownEverywhere(t *testing.T) {
	dir, out := failingStudy(t)
	cause := "exec: /usr/bin/python3 exited with status 1: " + missingModule
	if strings.Contains(out, "its log ends:") || strings.Contains(out, "nomod/") {
		t.Errorf("the search's output cuts a reason before its cause, or shows trial keys in it:\n%s", out)
	}
	head, table, _ := strings.Cut(out, "RANK")
	// fail_fast (on by default) ends it: its reason names the cause too.
	if !strings.Contains(head, "failed with the same cause: ") || !strings.Contains(head, missingModule) {
		t.Errorf("the study's reason lacks the cause:\n%s", head)
	}
	table, why, grouped := strings.Cut(table, "Why trials did not complete:")
	failed := regexp.MustCompile(`(?m)^-\s+\d+\s+failed\s.*$`).FindAllString(table, -1)
	if len(failed) == 0 {
		t.Fatalf("no failed rows:\n%s", table)
	}
	for _, row := range failed {
		if !strings.HasSuffix(row, cause) {
			t.Errorf("a failed row's note is not its cause %q:\n%s", cause, row)
		}
	}
	if last, first := strings.LastIndex(table, " failed "), strings.Index(table, " pending "); first >= 0 && first < last {
		t.Errorf("a pending row comes before the failures that ended the study:\n%s", table)
	}
	if !grouped {
		t.Fatalf("no grouped causes after the leaderboard:\n%s", out)
	}
	group := regexp.MustCompile(`(?m)^  (\d+) failed: (.*)\n    trials? ([0-9, ]+)\n    output of trial \d+ ends:\n((?:      .*\n)+)`).FindStringSubmatch(why)
	if group == nil || group[2] != cause || strings.Count(why, " failed: ") != 1 {
		t.Fatalf("failures not grouped once by their cause, with trials and output:\n%s", why)
	}
	if group[1] != strconv.Itoa(len(failed)) || strings.Count(group[3], ",")+1 != len(failed) {
		t.Errorf("the group counts %s trials (%s), the table %d", group[1], group[3], len(failed))
	}
	if !strings.Contains(group[4], "      Traceback (most recent call last):\n") || !strings.HasSuffix(group[4], "      "+missingModule+"\n") {
		t.Errorf("the group does not quote the traceback:\n%s", group[4])
	}

	trials, _, _ := automl(t, dir, "trials", "nomod")
	md, _, _ := automl(t, dir, "report", "nomod")
	csv, _, _ := automl(t, dir, "report", "nomod", "--format", "csv")
	for name, text := range map[string]string{"trials": trials, "report md": md, "report csv": csv} {
		if strings.Count(text, cause) < len(failed) || strings.Contains(text, "its log ends:") {
			t.Errorf("%s does not show the cause of each failed trial:\n%s", name, text)
		}
	}
	if !strings.Contains(md, "## Why trials did not complete\n\n- **") || !strings.Contains(md, "): "+cause+"\n") {
		t.Errorf("the md report does not group the causes:\n%s", md)
	}
	js, _, _ := automl(t, dir, "report", "nomod", "--format", "json")
	var doc struct {
		Trials []struct {
			State string `json:"state"`
			Cause string `json:"cause"`
			Error string `json:"error"`
		} `json:"trials"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("report json: %v\n%s", err, js)
	}
	for _, tr := range doc.Trials {
		if tr.State == "failed" && (tr.Cause != cause || !strings.Contains(tr.Error, "Traceback")) {
			t.Errorf("json trial: cause %q, error %q; want the cause and the whole error", tr.Cause, tr.Error)
		}
	}
}

// Exec metric lines that look like metrics but do not parse are warned
// about in the search's output, once per trial, with the line and why.
func TestMalformedMetricLinesWarnedInSearch(t *testing.T) {
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("no %s: %v", python, err)
	}
	dir := t.TempDir()
	script := `import json
print(json.dumps({"step": 1, "val_loss": "abc"}), flush=True)
print(json.dumps({"step": 2, "val_loss": "NaN"}), flush=True)
print(json.dumps({"step": 3, "val_loss": 0.5}), flush=True)
`
	space := `study: badlines
objective: {metric: val_loss, direction: minimize}
budget: {trials: 2}
algorithm: {name: random, seed: 1}
trainer:
  plugin: exec
  config: {command: [` + python + `, train.py], workdir: ` + dir + `}
parameters:
  x: {type: float, low: 0, high: 1}
`
	for name, text := range map[string]string{"train.py": script, "space.yaml": space} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "1")
	if code != 0 {
		t.Fatalf("search: exit %d\n%s\n%s", code, out, errOut)
	}
	warns := regexp.MustCompile(`(?m)^.*level=WARN .*looks like a metric line.*$`).FindAllString(errOut, -1)
	if len(warns) != 2 {
		t.Fatalf("%d warnings about metric lines, want one per trial (2):\n%s", len(warns), errOut)
	}
	for i, key := range []string{"badlines/0/1", "badlines/1/1"} {
		if !strings.Contains(warns[0]+warns[1], "trial "+key+":") {
			t.Errorf("no warning names trial %s:\n%s", key, errOut)
		}
		for _, want := range []string{`{\"step\": 1, \"val_loss\": \"abc\"}`, `\"val_loss\" is a string (\"abc\"), not a number`} {
			if !strings.Contains(warns[i], want) {
				t.Errorf("warning lacks %s:\n%s", want, warns[i])
			}
		}
	}
}

// The HTML report, rendered by headless chromium, shows a failed trial's
// cause (the ModuleNotFoundError line) under "Why trials did not
// complete": one group for the identical failures, with their trials and
// the trainer's output.
func TestReportHTMLShowsFailureCause(t *testing.T) {
	chromiumPath(t)
	dir, _ := failingStudy(t)
	if _, errOut, code := automl(t, dir, "report", "nomod", "--format", "html", "-o", "report.html"); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	dom := dumpAndShoot(t, "file://"+filepath.Join(dir, "report.html"), filepath.Join(t.TempDir(), "report.png"), 1400, 2400)
	start := strings.Index(dom, `<div id="reasons">`)
	if start < 0 {
		t.Fatalf("no reasons section in the page:\n%s", tail(dom, 3000))
	}
	reasons, _, _ := strings.Cut(dom[start:], "</table>")
	if !strings.Contains(reasons, `<div class="cause">exec: /usr/bin/python3 exited with status 1: `+missingModule+`</div>`) {
		t.Errorf("the page does not show the cause under Why trials did not complete:\n%s", reasons)
	}
	if n := strings.Count(reasons, "<tr>"); n != 1 {
		t.Errorf("%d groups of failures, want the identical failures in one:\n%s", n, reasons)
	}
	if !regexp.MustCompile(`<div class="hint">trials 0, 1, [0-9, ]+</div>`).MatchString(reasons) || !strings.Contains(reasons, "Traceback (most recent call last):") {
		t.Errorf("the group does not list its trials and quote the output:\n%s", reasons)
	}
}
