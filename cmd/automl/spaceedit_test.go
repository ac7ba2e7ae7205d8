package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The space edit tests run a study, edit its space file, and run it again
// as a user would: refused without --allow-space-change, applied with it.

const editedBranin = `study: %s
objective: {metric: value, direction: minimize}
budget: {trials: 12}
algorithm: {name: %s, seed: 3}
trainer: {plugin: funcs, config: {function: branin}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
`

// editTrial is a trial as automl trials --json prints it, with its params.
type editTrial struct {
	ID     int                `json:"id"`
	State  string             `json:"state"`
	Worker string             `json:"worker"`
	Params map[string]float64 `json:"params"`
}

func editTrials(t *testing.T, dir string, args ...string) []editTrial {
	t.Helper()
	out, errOut, code := automl(t, dir, append([]string{"trials", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("automl trials exited %d: %s", code, errOut)
	}
	var doc struct{ Trials []editTrial }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("trials --json: %v\n%s", err, out)
	}
	slices.SortFunc(doc.Trials, func(a, b editTrial) int { return a.ID - b.ID })
	return doc.Trials
}

// TestSpaceEditOnTheEmbeddedDefault widens x0 and narrows x1 of a TPE study
// that has 12 trials: the edit is shown and refused (exit 2) without the
// flag, a type change is refused with it, and with --allow-space-change
// the study goes on in the new space, its earlier trials as they were, and
// every report shows both versions.
func TestSpaceEditOnTheEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "space.yaml"), fmt.Sprintf(editedBranin, "edit", "tpe"))
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("first run exited %d\n%s%s", code, out, errOut)
	}
	before := editTrials(t, dir, "edit")
	edited := strings.NewReplacer("high: 10}", "high: 20}", "low: 0, high: 15", "low: 2, high: 15").Replace(fmt.Sprintf(editedBranin, "edit", "tpe"))
	writeFile(t, filepath.Join(dir, "edited.yaml"), edited)

	_, errOut, code := automl(t, dir, "search", "-space", "edited.yaml", "--workers", "2", "--trials", "20")
	for _, want := range []string{`study "edit" in automl.db ran with another version of its space file; the changes in edited.yaml:`,
		"\n  x0: high 10 → 20 (widened)\n  x1: low 0 → 2 (narrowed)\n", "run again with --allow-space-change"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal lacks %q:\n%s", want, errOut)
		}
	}
	if code != 2 || len(editTrials(t, dir, "edit")) != 12 {
		t.Fatalf("without the flag: exit %d (want 2), and the study must stay at 12 trials", code)
	}
	writeFile(t, filepath.Join(dir, "typed.yaml"), strings.Replace(edited, "x0: {type: float, low: -5, high: 20}", "x0: {type: int, low: -5, high: 20}", 1))
	if _, errOut, code := automl(t, dir, "search", "-space", "typed.yaml", "--allow-space-change", "--workers", "2"); code != 2 || !strings.Contains(errOut, "x0: type float → int: a parameter cannot change type") {
		t.Fatalf("a type change: exit %d (want 2)\n%s", code, errOut)
	}

	out, errOut, code := automl(t, dir, "search", "-space", "edited.yaml", "--workers", "2", "--trials", "20", "--allow-space-change")
	if code != 0 {
		t.Fatalf("with --allow-space-change: exit %d\n%s%s", code, out, errOut)
	}
	fits := 0
	for _, tr := range before {
		if tr.Params["x1"] >= 2 {
			fits++
		}
	}
	learns := fmt.Sprintf("tpe learns from %d of 12 earlier trials", fits)
	if fits < 12 {
		learns += fmt.Sprintf("; %d %s outside the space (x1 < 2)", 12-fits, map[bool]string{true: "is", false: "are"}[12-fits == 1])
	}
	for _, want := range []string{"study edit: its space changed (version 2, from trial 12):\n  x0: high 10 → 20 (widened)\n  x1: low 0 → 2 (narrowed)\n" + learns + "\n"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	after := editTrials(t, dir, "edit")
	if len(after) != 20 {
		t.Fatalf("%d trials, want 20", len(after))
	}
	for i, tr := range after {
		switch {
		case i < 12 && fmt.Sprint(tr.Params) != fmt.Sprint(before[i].Params):
			t.Errorf("earlier trial %d changed: %v, was %v", tr.ID, tr.Params, before[i].Params)
		case i >= 12 && (tr.Params["x0"] < -5 || tr.Params["x0"] > 20 || tr.Params["x1"] < 2 || tr.Params["x1"] > 15):
			t.Errorf("new trial %d outside the new space: %v", tr.ID, tr.Params)
		}
	}

	md, _, _ := automl(t, dir, "report", "edit")
	for _, want := range []string{"| space_version |", "## Space versions", "| 1 | 0–11 |", "| 2 | 12 on |", "x0: high 10 → 20 (widened); x1: low 0 → 2 (narrowed) |", "```yaml\n" + strings.TrimRight(edited, "\n") + "\n```"} {
		if !strings.Contains(md, want) {
			t.Errorf("md report lacks %q:\n%s", want, md)
		}
	}
	js, _, _ := automl(t, dir, "report", "edit", "--format", "json")
	var doc struct {
		Versions []struct {
			Version, FirstTrial int
			LastTrial           int    `json:"last_trial"`
			SpaceText           string `json:"space_text"`
		} `json:"space_versions"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Versions) != 2 || doc.Versions[0].LastTrial != 11 || doc.Versions[1].SpaceText != edited {
		t.Errorf("json report's versions %+v (%v)", doc.Versions, err)
	}
	studies, _, _ := automl(t, dir, "studies", "--json")
	if !strings.Contains(studies, `"space_versions"`) || !strings.Contains(studies, `"first_trial": 12`) {
		t.Errorf("studies --json lacks the versions:\n%s", studies)
	}
	html := filepath.Join(dir, "report.html")
	if _, errOut, code := automl(t, dir, "report", "edit", "-o", html); code != 0 {
		t.Fatalf("html report: %s", errOut)
	}
	if page := readFile(html); !strings.Contains(page, `"space_versions":[{"version":1`) || !strings.Contains(page, `id="versions-card"`) {
		t.Error("the HTML report lacks the space versions")
	}
}

// TestSpaceEditAddsAndRemovesParameters: an exec trainer's study gains a
// parameter with a default and loses one; the new trials' programs get the
// new parameters, the earlier trials keep theirs, and a parameter added
// without the default the earlier trials need is refused where it is
// written.
func TestSpaceEditAddsAndRemovesParameters(t *testing.T) {
	dir := t.TempDir()
	space := `study: params
objective: {metric: value, direction: minimize}
budget: {trials: 6}
algorithm: {name: random, seed: 1}
trainer:
  plugin: exec
  config: {command: [/bin/sh, -c, 'echo "$AUTOML_PARAMS_JSON" >> params.jsonl; echo "{\"value\": 1}"']}
parameters:
  a: {type: float, low: 0, high: 1}
  b: {type: int, low: 1, high: 4}
`
	writeFile(t, filepath.Join(dir, "space.yaml"), space)
	if out, errOut, code := automl(t, dir, "search", "-space", "space.yaml", "--workers", "2", "-q"); code != 0 {
		t.Fatalf("first run exited %d\n%s%s", code, out, errOut)
	}
	noDefault := strings.Replace(space, "  b: {type: int, low: 1, high: 4}\n", "  c: {type: categorical, choices: [x, y]}\n", 1)
	writeFile(t, filepath.Join(dir, "nodefault.yaml"), noDefault)
	_, errOut, code := automl(t, dir, "search", "-space", "nodefault.yaml", "--workers", "2", "--allow-space-change")
	if want := `nodefault.yaml:10:3: parameter "c": added to a study whose 6 earlier trials ran without it: give it a default: the value they ran with (e.g. default: x)`; code != 2 || !strings.Contains(errOut, want) {
		t.Fatalf("a parameter added without a default: exit %d (want 2), want %q in:\n%s", code, want, errOut)
	}
	writeFile(t, filepath.Join(dir, "edited.yaml"), strings.Replace(noDefault, "choices: [x, y]}", "choices: [x, y], default: y}", 1))
	_, errOut, code = automl(t, dir, "search", "-space", "edited.yaml", "--workers", "2", "--trials", "10", "--allow-space-change")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"  c: added (default y for the 6 earlier trials that ran without it)\n  b: removed\n", "6 of 6 earlier trials fit the space; random does not learn from them"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	f, err := os.Open(filepath.Join(dir, "params.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var withB, withC int
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var p map[string]any
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		_, hasB := p["b"]
		_, hasC := p["c"]
		switch {
		case hasB && !hasC:
			withB++
		case hasC && !hasB:
			withC++
		default:
			t.Errorf("a trial ran with %v", p)
		}
	}
	if withB != 6 || withC != 4 {
		t.Errorf("%d programs ran with b (want the 6 earlier trials), %d with c (want the 4 new ones)", withB, withC)
	}
}

// TestSpaceEditOnAFleet: a study on an external NATS server, its worker
// on another process that runs through both versions: the edit happens
// when automl search starts, and the same worker then runs the new
// space's trials.
func TestSpaceEditOnAFleet(t *testing.T) {
	bin := natsServerBin(t)
	dir := t.TempDir()
	n := startNATS(t, bin, "n1", freePort(t), dir, nil)
	waitJetStream(t, n.url())
	writeFile(t, filepath.Join(dir, "space.yaml"), strings.Replace(fmt.Sprintf(editedBranin, "fleet", "random"), "trials: 12", "trials: 6", 1))
	w := startAutoml(t, dir, "worker", append([]string{"worker", "--nats", n.url(), "--gpus", "none", "--slots", "2", "--name", "w1"}, trustFlag(t, dir)...)...)
	search := func(space string, args ...string) (string, int) {
		_, errOut, code := automl(t, dir, append([]string{"search", "-space", space, "--nats", n.url(), "--top", "0"}, args...)...)
		return errOut, code
	}
	if errOut, code := search("space.yaml"); code != 0 {
		t.Fatalf("first run exited %d\n%s", code, errOut)
	}
	shifted := strings.Replace(readFile(filepath.Join(dir, "space.yaml")), "low: -5, high: 10", "low: 10, high: 20", 1)
	writeFile(t, filepath.Join(dir, "shifted.yaml"), shifted)
	if errOut, code := search("shifted.yaml", "--trials", "12"); code != 2 || !strings.Contains(errOut, "x0: low -5 → 10 (narrowed), high 10 → 20 (widened)") {
		t.Fatalf("without the flag: exit %d (want 2)\n%s", code, errOut)
	}
	errOut, code := search("shifted.yaml", "--trials", "12", "--allow-space-change")
	if code != 0 || !strings.Contains(errOut, "0 of 6 earlier trials fit the space; 6 are outside the space (x0 < 10)") {
		t.Fatalf("with --allow-space-change: exit %d\n%s", code, errOut)
	}
	trs := editTrials(t, dir, "fleet")
	if len(trs) != 12 {
		t.Fatalf("%d trials, want 12", len(trs))
	}
	for _, tr := range trs {
		if tr.State != "completed" || tr.Worker != "w1" || (tr.ID >= 6) != (tr.Params["x0"] >= 10) {
			t.Errorf("trial %d: %s by %q at %v; want completed by w1, x0 >= 10 from trial 6 on", tr.ID, tr.State, tr.Worker, tr.Params)
		}
	}
	select {
	case <-w.exited:
		t.Fatalf("the worker exited during the edit:\n%s", tailFile(w.log, 20))
	default:
	}
	w.signal(t, syscall.SIGTERM)
	if code := w.wait(t, 30*time.Second); code != 0 {
		t.Errorf("worker exited %d after SIGTERM", code)
	}
}

// TestSpaceVersionsInTheBrowser: the HTML report of an edited study shows,
// once its script ran in headless chromium, a Space versions card with
// each version's trials and changes.
func TestSpaceVersionsInTheBrowser(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	space := strings.Replace(fmt.Sprintf(editedBranin, "shown", "random"), "trials: 12", "trials: 6", 1)
	writeFile(t, filepath.Join(dir, "space.yaml"), space)
	writeFile(t, filepath.Join(dir, "edited.yaml"), strings.Replace(space, "high: 10}", "high: 20}", 1))
	for _, args := range [][]string{{"-space", "space.yaml"}, {"-space", "edited.yaml", "--allow-space-change", "--trials", "10"}} {
		if _, errOut, code := automl(t, dir, append(append([]string{"search"}, args...), "--workers", "2", "-q")...); code != 0 {
			t.Fatalf("search %v: exit %d\n%s", args, code, errOut)
		}
	}
	if _, errOut, code := automl(t, dir, "report", "shown", "-o", "report.html"); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	dom := dumpAndShoot(t, "file://"+filepath.Join(dir, "report.html"), filepath.Join(t.TempDir(), "versions.png"), 1400, 2400)
	if strings.Contains(dom, `id="versions-card" hidden`) || !strings.Contains(dom, `data-rendered="1"`) {
		t.Fatal("the Space versions card is hidden, or the page did not render")
	}
	for _, want := range []string{"trials 0–5 · 6 trials", "the study's first space", "trials 6 on · 4 trials", "x0: high 10 → 20 (widened)", "space file of version 2"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestSpaceEditWaitsForARunningStudy: while the study runs, its automl
// search holds the study file: a second automl search with the edited
// file is refused, saying to stop the study first; once it is stopped
// (automl stop), the edit is applied as the study starts again.
func TestSpaceEditWaitsForARunningStudy(t *testing.T) {
	dir := t.TempDir()
	space := strings.NewReplacer("trials: 12", "trials: 200", "function: branin}", "function: branin, sleep: 100ms}").Replace(fmt.Sprintf(editedBranin, "busy", "random"))
	writeFile(t, filepath.Join(dir, "space.yaml"), space)
	writeFile(t, filepath.Join(dir, "edited.yaml"), strings.Replace(space, "high: 10}", "high: 20}", 1))
	running := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--workers", "1", "--top", "0")
	waitFor(t, time.Minute, "a trial to complete", func() bool {
		trs, ok := fleetTrials(t, dir, "busy")
		return ok && slices.ContainsFunc(trs, func(tr fleetTrial) bool { return tr.State == "completed" })
	})
	_, errOut, code := automl(t, dir, "search", "-space", "edited.yaml", "--allow-space-change", "--workers", "1")
	if want := "to run study busy with edited.yaml (an edited space included), stop it first (automl stop busy) and run this command again"; code != 2 || !strings.Contains(errOut, "automl.db is in use by process") || !strings.Contains(errOut, want) {
		t.Fatalf("editing a running study: exit %d (want 2), want %q in:\n%s", code, want, errOut)
	}
	if _, errOut, code := automl(t, dir, "stop", "busy"); code != 0 {
		t.Fatalf("automl stop: exit %d\n%s", code, errOut)
	}
	if code := running.wait(t, time.Minute); code != exitInterrupted {
		t.Fatalf("the stopped study exited %d, want %d", code, exitInterrupted)
	}
	done := len(editTrials(t, dir, "busy"))
	_, errOut, code = automl(t, dir, "search", "-space", "edited.yaml", "--allow-space-change", "--workers", "1", "--trials", fmt.Sprint(done+2))
	if want := fmt.Sprintf("study busy: its space changed (version 2, from trial %d):\n  x0: high 10 → 20 (widened)\n", done); code != 0 || !strings.Contains(errOut, want) {
		t.Fatalf("after the stop: exit %d, want %q in:\n%s", code, want, errOut)
	}
	if trs := editTrials(t, dir, "busy"); len(trs) != done+2 {
		t.Errorf("%d trials, want %d", len(trs), done+2)
	}
}
