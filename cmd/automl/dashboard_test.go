package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"automl/report/reporttest"
	"automl/scheduler"
	"automl/trial"
)

// startDashboard runs `automl dashboard` in dir and returns its URL.
func startDashboard(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	u, _ := startDashboardTLS(t, dir, env, args...)
	return u
}

// startDashboardTLS runs `automl dashboard` in dir and returns its URL and
// the certificate fingerprint it printed (none over plain HTTP).
func startDashboardTLS(t *testing.T, dir string, env []string, args ...string) (url, fingerprint string) {
	t.Helper()
	cmd := exec.Command(automlBin, append([]string{"dashboard"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("dashboard did not stop on Ctrl-C")
		}
	})
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`automl dashboard: (https?://\S+/)\S*(?:  certificate SHA-256 ([0-9A-F:]{95}))?`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m
				break
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case m := <-found:
		return m[1], m[2]
	case <-time.After(30 * time.Second):
		t.Fatal("dashboard did not print its address")
	}
	return "", ""
}

func TestDashboardRefusesExposureWithoutToken(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 9, Seed: 1}, false)
	for _, addr := range []string{"0.0.0.0:0", ":0"} {
		_, errOut, code := automl(t, dir, "dashboard", "--listen", addr)
		if code != exitUsage || !strings.Contains(errOut, "needs a token") {
			t.Errorf("--listen %s without a token: exit %d %q", addr, code, errOut)
		}
	}
	// With the token from the environment it starts, and asks for it.
	u, fp := startDashboardTLS(t, dir, []string{tokenEnv + "=s3cret"}, "--listen", "0.0.0.0:0")
	if code, _ := pinnedGet(t, "https://127.0.0.1:"+portOf(u)+"/api/studies", fp, ""); code != http.StatusUnauthorized {
		t.Errorf("request without the token: %d, want 401", code)
	}
}

// TestDashboardInBrowser opens the dashboard of a study that is running
// (its writer holds the file) in headless chromium, then completes a
// running trial in the store, and waits for the open page to show it
// completed and ranked first, without reloading.
func TestDashboardInBrowser(t *testing.T) {
	chromiumPath(t)
	dir := t.TempDir()
	st, c := writeFixture(t, dir, reporttest.Options{Trials: 274, Seed: 8, Reports: true, Live: true}, true)
	var running trial.Record
	for _, r := range c.Trials {
		if r.State == trial.Running {
			running = r
			break
		}
	}
	u := startDashboard(t, dir, nil, "--listen", "127.0.0.1:0")
	b := startBrowser(t, 1400, 1800)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.call(ctx, true, "Page.navigate", map[string]any{"url": u + "?study=fixture"}, nil); err != nil {
		t.Fatal(err)
	}
	row := `document.querySelector('tr[data-trial="` + strconv.Itoa(running.ID) + `"]')`
	b.waitFor(t, ctx, row+`?.dataset.state ?? "none"`, `"running"`)
	b.waitFor(t, ctx, `document.getElementById("live-dot").className`, `"dot on"`) // the event stream is open

	// The trial completes after the page was opened: a scheduler commit.
	running.State, running.Value, running.HasValue = trial.Completed, 0.05, true
	running.Finished, running.Busy = running.Started.Add(2*time.Minute), 2*time.Minute
	running.Resource, running.Attempt = 27, 3
	study := *c.Study
	study.Updated = study.Updated.Add(2 * time.Minute)
	if err := st.Commit(ctx, "fixture", scheduler.Change{Study: &study, Trials: []trial.Record{running}}); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, ctx, row+`?.dataset.state ?? "none"`, `"completed"`)
	b.waitFor(t, ctx, `document.querySelector("#leaderboard tbody tr").dataset.trial`, `"`+strconv.Itoa(running.ID)+`"`)
	if best, _ := b.eval(ctx, `document.getElementById("best-yaml").textContent.split("\n")[0]`); !strings.Contains(best, "trial "+strconv.Itoa(running.ID)) {
		t.Errorf("best trial panel %s", best)
	}
	for _, id := range []string{"plot-history", "plot-curves", "plot-timeline", "plot-parallel", "plot-importance"} {
		if n, err := b.eval(ctx, `+document.getElementById("`+id+`").dataset.drawn`); err != nil || n == "0" {
			t.Errorf("%s drew %s (%v)", id, n, err)
		}
	}
	png, err := b.screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, png, "dashboard.png")
}
