package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// branin writes a funcs study of Branin (x0, x1) to dir/file.
func braninStudy(t *testing.T, dir, file, study, algorithm string, trials int, extra string) {
	t.Helper()
	text := fmt.Sprintf(`study: %s
objective: {metric: value, direction: minimize}
budget: {trials: %d}
algorithm: {name: %s, seed: 11}
trainer: {plugin: funcs, config: {function: branin, record: evaluations.jsonl}}
parameters:
  x0: {type: float, low: -5, high: 10}
  x1: {type: float, low: 0, high: 15}
%s`, study, trials, algorithm, extra)
	if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// countState counts a study's trials by state (automl trials --json).
func countState(t *testing.T, dir, db, study string) map[string]int {
	t.Helper()
	tr, ok := trialsJSON(t, dir, db, study)
	if !ok {
		t.Fatalf("automl trials %s failed", study)
	}
	c := map[string]int{}
	for _, x := range tr.Trials {
		c[x.State]++
	}
	return c
}

// automl import on a stopped study, from a study file, the CSV and the
// JSON automl report writes of it, and a hand-written CSV: the results
// become imported trials (never run, not in the budget, listed last), an
// import of the same source again adds nothing, results that do not fit
// are skipped with why (or refused with --strict), and the study then
// continues with its whole budget of its own trials.
func TestImportIntoAStoppedStudy(t *testing.T) {
	dir := t.TempDir()
	braninStudy(t, dir, "old.yaml", "old", "random", 12, "")
	mustRun(t, dir, "search", "-space", "old.yaml", "--db", "old.db", "--workers", "2", "-q")
	mustRun(t, dir, "report", "old", "--db", "old.db", "--format", "csv", "-o", "old.csv")
	mustRun(t, dir, "report", "old", "--db", "old.db", "--format", "json", "-o", "old.json")
	braninStudy(t, dir, "new.yaml", "new", "tpe", 3, "")
	mustRun(t, dir, "search", "-space", "new.yaml", "--workers", "1", "-q")

	out, _ := mustRun(t, dir, "import", "new", "--from", "old.db")
	if !strings.Contains(out, "study new: imported 12 result(s) as trials 3-14 (state imported") || !strings.Contains(out, "old.db: 12 result(s) fit the study") {
		t.Fatalf("import from the study file:\n%s", out)
	}
	out, _ = mustRun(t, dir, "import", "new", "--from", "old.csv", "--from", "old.json", "--json")
	var rep struct {
		Imported int   `json:"imported"`
		IDs      []int `json:"ids"`
		Sources  []struct {
			Source  string
			Fit     int
			Skipped []any
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Imported != 24 || len(rep.IDs) != 24 || rep.IDs[0] != 15 || len(rep.Sources) != 2 || rep.Sources[0].Fit != 12 || rep.Sources[1].Fit != 12 {
		t.Fatalf("import --json (%v):\n%s", err, out)
	}
	out, _ = mustRun(t, dir, "import", "new", "--from", "old.csv")
	if !strings.Contains(out, "study new: imported nothing new") || !strings.Contains(out, "12 result(s) were imported before, left out") {
		t.Fatalf("the same CSV again:\n%s", out)
	}
	// A hand-written file: one row fits, one is out of range, one lacks x1.
	if err := os.WriteFile(filepath.Join(dir, "hand.csv"), []byte("x0,x1,value\n3.1,2.3,0.5\n11,2,7\n2,,9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := automl(t, dir, "import", "new", "--from", "hand.csv", "--strict")
	if code != 2 || !strings.Contains(errOut, "2 result(s) do not fit the study (strict)") || !strings.Contains(errOut, `hand.csv:3: outside the space: parameter "x0": 11 is not one of its values (float from -5 to 10)`) {
		t.Fatalf("--strict: exit %d\n%s", code, errOut)
	}
	out, _ = mustRun(t, dir, "import", "new", "--from", "hand.csv")
	for _, want := range []string{"imported 1 result(s) as trials 39", "hand.csv: skipped 2 that do not fit the study: 1 outside the space (hand.csv:3: ", `1 missing a parameter (hand.csv:4: parameter "x1" is missing, and the space gives it no default)`} {
		if !strings.Contains(out, want) {
			t.Errorf("hand-written CSV: output lacks %q:\n%s", want, out)
		}
	}
	if c := countState(t, dir, "automl.db", "new"); c["imported"] != 37 || c["completed"] != 3 {
		t.Fatalf("after the imports: %v", c)
	}
	// Listed apart, last, with where they came from.
	out, _ = mustRun(t, dir, "report", "new", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 41 || !strings.Contains(lines[3], ",completed,") || !strings.Contains(lines[4], ",imported,") || !strings.Contains(lines[4], "from "+filepath.Join(dir, "")) {
		t.Fatalf("report csv: imported results not after the study's own:\n%s", out)
	}
	// Each import is in the study's history (the one that added nothing
	// is not); a budget is checked against the study's own 3 trials.
	out, _ = mustRun(t, dir, "history", "new")
	if strings.Count(out, "import: ") != 3 || !strings.Contains(out, "import: 12 result(s) from "+filepath.Join(dir, "old.db:old")) ||
		!strings.Contains(out, "automl import new --from old.csv --from old.json") || !strings.Contains(out, "import: 1 result(s) from "+filepath.Join(dir, "hand.csv")) {
		t.Fatalf("history:\n%s", out)
	}
	mustRun(t, dir, "budget", "new", "--trials", "3")
	out, _ = mustRun(t, dir, "studies")
	if !strings.Contains(out, "3/3 done, 37 imported") {
		t.Fatalf("studies:\n%s", out)
	}
	// The study continues with its own budget: 3 more trials of its own.
	out, _ = mustRun(t, dir, "search", "-space", "new.yaml", "--trials", "6", "--workers", "1", "--top", "0")
	if !strings.Contains(out, "trials: 6/6 done, 37 imported") {
		t.Fatalf("continued study:\n%s", out)
	}
	if n := countEvaluations(t, dir); n != 12+6 {
		t.Fatalf("%d trials were evaluated, want the old study's 12 and the new one's 6 (imported results never run)", n)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "new", "--from", "nosuch.csv"}, "nosuch.csv: no such file"},
		{[]string{"import", "nosuch", "--from", "old.csv"}, `no study "nosuch" in automl.db`},
		{[]string{"import", "new", "--from", "automl.db:new"}, "that is study new itself"},
		{[]string{"import", "new", "--from", "old.db:other"}, `no study "other" in old.db (studies there: old)`},
		{[]string{"import", "new", "--from", "old.db:"}, "no study name after the colon"},
		{[]string{"import", "new", "--from", "old.csv", "--db", "none.db"}, "no study file none.db"},
		{[]string{"import", "new"}, `required flag(s) "from" not set`},
	} {
		_, errOut, code := automl(t, dir, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("automl %s: exit %d, want 2 and %q:\n%s", strings.Join(tc.args, " "), code, tc.want, errOut)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "none.csv"), []byte("x0,x1,value\n50,2,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := automl(t, dir, "import", "new", "--from", "none.csv"); code != 2 || !strings.Contains(errOut, "nothing imported: no result of the sources fits the study") {
		t.Errorf("nothing fits: exit %d\n%s", code, errOut)
	}
}

// A study that runs cannot take an import from another process: the
// refusal says so and what to do, on the embedded default and on a study
// that runs on a NATS server of its own (--nats); once it has stopped the
// import goes in, and the study continues with it.
func TestImportRefusedWhileTheStudyRuns(t *testing.T) {
	for _, fleet := range []bool{false, true} {
		t.Run(map[bool]string{false: "embedded", true: "nats"}[fleet], func(t *testing.T) {
			dir := t.TempDir()
			braninStudy(t, dir, "old.yaml", "old", "random", 8, "")
			mustRun(t, dir, "search", "-space", "old.yaml", "--db", "old.db", "--workers", "2", "-q")
			if err := os.Remove(filepath.Join(dir, "evaluations.jsonl")); err != nil { // the slow study's alone from here
				t.Fatal(err)
			}
			fleetSpace(t, dir, "slow", 400, 50*time.Millisecond)
			args := []string{"search", "-space", "space.yaml", "--workers", "2", "--top", "0", "--ack-wait", "2s"}
			if fleet {
				n := startNATS(t, natsServerBin(t), "n1", freePort(t), dir, nil)
				waitJetStream(t, n.url())
				args = append(args, "--nats", n.url())
			}
			p := startAutoml(t, dir, "search", args...)
			waitFor(t, time.Minute, "the study to run trials", func() bool { return countEvaluations(t, dir) > 0 })
			_, errOut, code := automl(t, dir, "import", "slow", "--from", "old.db")
			if code != 2 || !strings.Contains(errOut, "a study runs on it. Stop it first (automl stop STUDY)") {
				t.Fatalf("import into a running study: exit %d\n%s", code, errOut)
			}
			p.signal(t, syscall.SIGINT)
			if code := p.wait(t, time.Minute); code != 130 {
				t.Fatalf("search exited %d after SIGINT, want 130", code)
			}
			out, _ := mustRun(t, dir, "import", "slow", "--from", "old.db")
			if !strings.Contains(out, "imported 8 result(s)") {
				t.Fatalf("import once stopped:\n%s", out)
			}
			before := countState(t, dir, "automl.db", "slow")
			created := before["completed"] + before["pending"]
			start := time.Now()
			mustRun(t, dir, append(args[:len(args):len(args)], "--trials", fmt.Sprint(created+4))...)
			t.Logf("continued in %v", time.Since(start))
			after := countState(t, dir, "automl.db", "slow")
			if after["imported"] != 8 || after["completed"] != created+4 {
				t.Fatalf("continued to %d trials: %v (before %v)", created+4, after, before)
			}
		})
	}
}

// warm_start: in the space file imports when the study is created: a
// mistake in a source is placed at its entry; TPE's first proposal then
// lies near the best imported results, where a cold study's does not; the
// study continues without reading the sources again (they may be gone);
// on a NATS server of the study's own (--nats) alike.
func TestWarmStartInTheSpaceFile(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"runs", "exp"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	braninStudy(t, dir, "old.yaml", "old", "random", 40, "")
	mustRun(t, dir, "search", "-space", "old.yaml", "--db", "runs/old.db", "--workers", "2", "-q")
	mustRun(t, dir, "report", "old", "--db", "runs/old.db", "--format", "csv", "-o", "runs/old.csv")
	braninStudy(t, dir, "exp/warm.yaml", "warm", "tpe", 4, "warm_start:\n  from: [../runs/old.db:old, ../runs/gone.csv]\n")
	_, errOut, code := automl(t, dir, "search", "-space", "exp/warm.yaml", "--workers", "1")
	if code != 2 || !strings.Contains(errOut, `exp/warm.yaml:10:30: warm_start.from "../runs/gone.csv": runs/gone.csv: no such file`) {
		t.Fatalf("missing source: exit %d\n%s", code, errOut)
	}
	out, _, code := automl(t, dir, "validate", "-space", "exp/warm.yaml")
	if code != 2 || !strings.Contains(out, `exp/warm.yaml:10:30: warm_start.from "../runs/gone.csv"`) || !strings.Contains(out, "warm_start: ../runs/old.db:old: 40 result(s) fit the study") {
		t.Fatalf("validate: exit %d\n%s", code, out)
	}
	braninStudy(t, dir, "exp/warm.yaml", "warm", "tpe", 4, "warm_start:\n  from: [../runs/old.db:old]\n")
	braninStudy(t, dir, "exp/cold.yaml", "warm", "tpe", 4, "")

	for _, fleet := range []bool{false, true} {
		name := map[bool]string{false: "embedded", true: "nats"}[fleet]
		t.Run(name, func(t *testing.T) {
			var extra []string
			if fleet {
				n := startNATS(t, natsServerBin(t), "n-"+name, freePort(t), dir, nil)
				waitJetStream(t, n.url())
				extra = []string{"--nats", n.url()}
			}
			warmDB, coldDB := name+"-warm.db", name+"-cold.db"
			mustRun(t, dir, append([]string{"search", "-space", "exp/warm.yaml", "--db", warmDB, "--workers", "1", "-q"}, extra...)...)
			mustRun(t, dir, append([]string{"search", "-space", "exp/cold.yaml", "--db", coldDB, "--workers", "1", "-q"}, extra...)...)
			if c := countState(t, dir, warmDB, "warm"); c["imported"] != 40 || c["completed"] != 4 {
				t.Fatalf("warm study: %v, want 40 imported and its 4 own", c)
			}
			dWarm, dCold := firstOwnDistance(t, dir, warmDB), firstOwnDistance(t, dir, coldDB)
			t.Logf("first proposal's distance to the nearest of the 3 best imported results (unit square): warm %.3f, cold %.3f", dWarm, dCold)
			if dWarm >= dCold || dWarm > 0.1 {
				t.Fatalf("the warm study's first proposal is %.3f from the best imported results (a cold one's %.3f): it did not learn from them", dWarm, dCold)
			}
		})
	}
	// Continued after the source is gone: it is in the study already.
	if err := os.Rename(filepath.Join(dir, "runs/old.db"), filepath.Join(dir, "runs/moved.db")); err != nil {
		t.Fatal(err)
	}
	out, _ = mustRun(t, dir, "search", "-space", "exp/warm.yaml", "--db", "embedded-warm.db", "--workers", "1", "--trials", "6", "--top", "0")
	if !strings.Contains(out, "trials: 6/6 done, 40 imported") {
		t.Fatalf("continued without the source:\n%s", out)
	}
}

// firstOwnDistance is how far the study's first trial of its own lies from
// the nearest of the three best imported results, in the unit square of
// Branin's domain.
func firstOwnDistance(t *testing.T, dir, db string) float64 {
	t.Helper()
	out, _ := mustRun(t, dir, "report", "warm", "--db", db, "--format", "json", "--columns", "trial,state,value,x0,x1")
	var doc struct {
		Trials []struct {
			Trial  int
			State  string
			X0, X1 float64
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var imported [][2]float64 // best first, as the leaderboard lists them
	first, firstID := [2]float64{}, -1
	for _, r := range doc.Trials {
		switch {
		case r.State == "imported":
			imported = append(imported, [2]float64{r.X0, r.X1})
		case firstID < 0 || r.Trial < firstID:
			first, firstID = [2]float64{r.X0, r.X1}, r.Trial
		}
	}
	if len(imported) == 0 { // the cold study: compare with the warm one's imports
		return firstOwnDistanceTo(first, bestImported(t, dir))
	}
	return firstOwnDistanceTo(first, imported[:3])
}

func firstOwnDistanceTo(p [2]float64, pts [][2]float64) float64 {
	d := math.Inf(1)
	for _, q := range pts {
		d = math.Min(d, math.Hypot((p[0]-q[0])/15, (p[1]-q[1])/15))
	}
	return d
}

// bestImported are the three best results of the old study.
func bestImported(t *testing.T, dir string) [][2]float64 {
	t.Helper()
	out, _ := mustRun(t, dir, "report", "warm", "--db", "embedded-warm.db", "--format", "json", "--columns", "state,x0,x1")
	var doc struct {
		Trials []struct {
			State  string
			X0, X1 float64
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var pts [][2]float64
	for _, r := range doc.Trials {
		if r.State == "imported" && len(pts) < 3 {
			pts = append(pts, [2]float64{r.X0, r.X1})
		}
	}
	return pts
}
