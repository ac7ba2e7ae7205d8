package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fetch GETs url; code 0 when nothing answers.
func fetch(url string) (code int, body string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var sample = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$`)

// series reads a scrape in the text format: each sample's name with its
// labels, as written (labels in name order), to its value.
func series(t *testing.T, scrape string) map[string]float64 {
	t.Helper()
	m := map[string]float64{}
	for _, line := range strings.Split(scrape, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := sample.FindStringSubmatch(line)
		if s == nil {
			t.Fatalf("not a sample line: %q", line)
		}
		v, err := strconv.ParseFloat(s[2], 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		m[s[1]] = v
	}
	return m
}

// promtool runs promtool check metrics on a scrape (stdin): it must pass,
// lint included. Without promtool on PATH the test is skipped, unless
// AUTOML_PROMTOOL_TESTS=1 (CI's .ci/run sets it), which makes it a
// failure.
func promtool(t *testing.T, scrape string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("AUTOML_PROMTOOL_TESTS") == "1" {
			t.Fatal("no promtool on PATH, and AUTOML_PROMTOOL_TESTS=1 requires it (apt-get install prometheus)")
		}
		t.Skip("no promtool on PATH (set AUTOML_PROMTOOL_TESTS=1 to make this a failure)")
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// histogramsAgree checks every automl histogram of a scrape: its _count equals
// its +Inf bucket, and its buckets never decrease.
func histogramsAgree(t *testing.T, m map[string]float64) {
	t.Helper()
	for k, v := range m {
		name, labels, _ := strings.Cut(k, "{")
		base, ok := strings.CutSuffix(name, "_count")
		if !ok || !strings.HasPrefix(name, "automl_") {
			continue // go_gc_duration_seconds is a summary: no buckets
		}
		inf := base + `_bucket{le="+Inf"}`
		if labels != "" {
			inf = base + "_bucket{" + strings.TrimSuffix(labels, "}") + `,le="+Inf"}`
		}
		if got, ok := m[inf]; !ok || got != v {
			t.Errorf("%s = %v but %s = %v", k, v, inf, got)
		}
	}
}

// waitCode polls url until it answers code with a body containing want;
// it returns the other answers seen before.
func waitCode(t *testing.T, url string, code int, want string) []string {
	t.Helper()
	var seen []string
	waitFor(t, time.Minute, fmt.Sprintf("%s to answer %d %q", url, code, want), func() bool {
		c, body := fetch(url)
		if c == code && strings.Contains(body, want) {
			return true
		}
		if c != 0 && (len(seen) == 0 || seen[len(seen)-1] != fmt.Sprint(c, " ", body)) {
			seen = append(seen, fmt.Sprint(c, " ", body))
		}
		return false
	})
	return seen
}

// automl search --metrics with a local slot and an automl worker
// --metrics with two GPU slots (a fake nvidia-smi) run a 12-trial study:
// both scrapes pass promtool, and the figures agree with the study (12
// completed, none running or queued, 12 runs between the two processes,
// every slot idle, histograms consistent). /healthz is 200; /readyz is 200
// while the study runs, 503 once it ended (--metrics-linger keeps the
// server up for a last scrape), and the worker's turns 503 when its NATS
// server is gone.
func TestMetricsOfSearchAndWorker(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "metrics", 12, 300*time.Millisecond)
	port := freePort(t)
	sURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	wURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	search := startAutoml(t, dir, "search", "search", "-space", "space.yaml", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--workers", "1", "--parallel", "3", "--metrics", strings.TrimPrefix(sURL, "http://"), "--metrics-linger", "10s")
	before := waitCode(t, sURL+"/readyz", 200, "ready")
	for _, s := range before {
		if !strings.HasPrefix(s, "503 not ready: ") {
			t.Errorf("/readyz before the study was ready: %q, want 503 and a reason", s)
		}
	}
	if c, body := fetch(sURL + "/healthz"); c != 200 || body != "ok\n" {
		t.Errorf("search /healthz: %d %q", c, body)
	}
	w := startAutomlEnv(t, dir, "worker", []string{fakeNvidiaSMI(t)}, append([]string{"worker", "--gpus-per-trial", "2", "--name", "gpubox",
		"--metrics", strings.TrimPrefix(wURL, "http://")}, joinFlags(t, dir, port)...)...)
	waitCode(t, wURL+"/readyz", 200, "ready")

	// The study ends; the server lingers, not ready.
	waitCode(t, sURL+"/readyz", 503, "not ready: study metrics has ended (done)")
	c, scrape := fetch(sURL + "/metrics")
	if c != 200 {
		t.Fatalf("search /metrics: %d %s", c, scrape)
	}
	promtool(t, scrape)
	s := series(t, scrape)
	histogramsAgree(t, s)
	host, _ := os.Hostname()
	for k, want := range map[string]float64{
		`automl_trials{state="completed",study="metrics"}`:                12,
		`automl_trials{state="running",study="metrics"}`:                  0,
		`automl_trials{state="pending",study="metrics"}`:                  0,
		`automl_trials{state="failed",study="metrics"}`:                   0,
		`automl_trials_finished_total{state="completed",study="metrics"}`: 12,
		`automl_trials_running{study="metrics"}`:                          0,
		`automl_queue_depth{pool="default"}`:                              0,
		`automl_suggestion_duration_seconds_count{call="start"}`:          1,
		`automl_slots{gpu="none",worker="` + host + `"}`:                  1,
		`automl_slots_busy{gpu="none",worker="` + host + `"}`:             0,
	} {
		if got, ok := s[k]; !ok || got != want {
			t.Errorf("search: %s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if best, ok := s[`automl_study_best_value{study="metrics"}`]; !ok || best < 0.397887 || math.IsInf(best, 0) {
		t.Errorf("automl_study_best_value = %v (present %v): branin's minimum is 0.397887", best, ok)
	}
	if s["automl_store_commit_duration_seconds_count"] < 1 || s[`automl_suggestion_duration_seconds_count{call="observe"}`] < 12 {
		t.Errorf("store commits %v, searcher observes %v (want >= 1, >= 12: one per trial's end at least)", s["automl_store_commit_duration_seconds_count"], s[`automl_suggestion_duration_seconds_count{call="observe"}`])
	}
	for k := range s {
		if strings.Contains(k, "trial=") || strings.Contains(k, "id=") {
			t.Errorf("a trial id as a label: %s", k)
		}
	}

	c, wscrape := fetch(wURL + "/metrics")
	if c != 200 {
		t.Fatalf("worker /metrics: %d %s", c, wscrape)
	}
	promtool(t, wscrape)
	ws := series(t, wscrape)
	histogramsAgree(t, ws)
	for k, want := range map[string]float64{
		`automl_slots{gpu="0,1",worker="gpubox"}`:      1,
		`automl_slots{gpu="2,3",worker="gpubox"}`:      1,
		`automl_slots_busy{gpu="0,1",worker="gpubox"}`: 0,
		`automl_slots_busy{gpu="2,3",worker="gpubox"}`: 0,
	} {
		if got, ok := ws[k]; !ok || got != want {
			t.Errorf("worker: %s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	// A clean run: nothing redelivered, lapsed, dropped, failed or crashed.
	for _, m := range []map[string]float64{s, ws} {
		for k, v := range m {
			for _, bad := range []string{"automl_redeliveries_total", "automl_lease_expiries_total", "automl_events_dropped_total", "automl_trial_failures_total", "automl_plugin_crashes_total"} {
				if strings.HasPrefix(k, bad) && v != 0 {
					t.Errorf("%s = %v in a clean run", k, v)
				}
			}
		}
	}
	local, remote := s[`automl_trial_duration_seconds_count{outcome="done"}`], ws[`automl_trial_duration_seconds_count{outcome="done"}`]
	t.Logf("runs: %v on the search's slot, %v on the worker's", local, remote)
	if runs := local + remote; runs != 12 || remote < 1 {
		t.Errorf("runs done: search %v + worker %v, want 12 (one per trial), at least one on the worker", local, remote)
	}
	if busy := ws[`automl_slot_busy_seconds_total{gpu="0,1",worker="gpubox"}`] + ws[`automl_slot_busy_seconds_total{gpu="2,3",worker="gpubox"}`]; busy < 0.3*remote || ws[`automl_plugin_launches_total{plugin="funcs"}`] < 1 {
		t.Errorf("worker: busy %vs, funcs launches %v", busy, ws[`automl_plugin_launches_total{plugin="funcs"}`])
	}
	if code := search.wait(t, time.Minute); code != 0 {
		t.Fatalf("search exited %d:\n%s", code, tailFile(search.log, 20))
	}
	if c, _ := fetch(sURL + "/healthz"); c != 0 {
		t.Errorf("search /healthz answers %d after it exited", c)
	}
	// Its NATS server went with the search: the worker is alive and not
	// ready, or it has left (a worker that joined a --listen search may
	// leave when the search ends).
	gone := func() bool {
		select {
		case <-w.exited:
			return true
		default:
			return false
		}
	}
	waitFor(t, time.Minute, "the worker not ready (not connected to NATS) or gone", func() bool {
		c, body := fetch(wURL + "/readyz")
		return gone() || (c == 503 && strings.HasPrefix(body, "not ready: not connected to NATS"))
	})
	if !gone() {
		if c, _ := fetch(wURL + "/healthz"); c != 200 && !gone() {
			t.Errorf("worker /healthz: %d", c)
		}
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
	}
	w.wait(t, 30*time.Second)

	// automl dashboard --metrics on the study file: ready once it serves,
	// the study as stored.
	mURL := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	dash := startAutoml(t, dir, "dashboard", "dashboard", "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--metrics", strings.TrimPrefix(mURL, "http://"))
	waitCode(t, mURL+"/readyz", 200, "ready")
	c, dscrape := fetch(mURL + "/metrics")
	if c != 200 || !strings.Contains(dscrape, "\ngo_goroutines ") {
		t.Errorf("dashboard /metrics: %d\n%s", c, dscrape)
	}
	promtool(t, dscrape)
	ds := series(t, dscrape)
	if got := ds[`automl_stored_trials{state="completed",study="metrics"}`]; got != 12 {
		t.Errorf("dashboard: automl_stored_trials completed = %v, want 12", got)
	}
	if got, want := ds[`automl_stored_best_value{study="metrics"}`], s[`automl_study_best_value{study="metrics"}`]; got != want {
		t.Errorf("dashboard: automl_stored_best_value = %v, the search's automl_study_best_value %v", got, want)
	}
	dash.signal(t, syscall.SIGINT)
	dash.wait(t, 30*time.Second)
}

// --metrics on an address that is taken fails at once (exit status 2),
// naming the address, on each command that has it; so do --metrics-linger
// without --metrics and a negative one. A search that fails before its
// study runs does not linger.
func TestMetricsAddressTaken(t *testing.T) {
	dir := t.TempDir()
	fleetSpace(t, dir, "taken", 2, 0)
	if err := os.WriteFile(dir+"/bad.yaml", []byte("study: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "-space", "space.yaml", "--metrics", addr}, "--metrics " + addr + ": listen tcp " + addr + ": bind: address already in use"},
		{[]string{"worker", "--trust", "x", "--metrics", addr}, "--metrics " + addr + ": listen tcp " + addr + ": bind: address already in use"},
		{[]string{"dashboard", "--metrics", addr}, "--metrics " + addr + ": listen tcp " + addr + ": bind: address already in use"},
		{[]string{"search", "-space", "space.yaml", "--metrics", "127.0.0.1:bad"}, "--metrics 127.0.0.1:bad: listen tcp: "},
		{[]string{"search", "-space", "space.yaml", "--metrics-linger", "5s"}, "--metrics-linger keeps --metrics serving: give --metrics HOST:PORT too"},
		{[]string{"search", "-space", "space.yaml", "--metrics", "127.0.0.1:0", "--metrics-linger", "-1s"}, "--metrics-linger must be >= 0, got -1s"},
		// a study that never ran: no lingering
		{[]string{"search", "-space", "bad.yaml", "--metrics", "127.0.0.1:0", "--metrics-linger", "1m"}, "bad.yaml:1:"},
	} {
		start := time.Now()
		_, stderr, code := automl(t, dir, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("automl %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("automl %s took %s to fail", strings.Join(tc.args, " "), d)
		}
	}
	if _, err := os.Stat(dir + "/automl.db"); err == nil {
		t.Error("a refused search created the study file")
	}
}
