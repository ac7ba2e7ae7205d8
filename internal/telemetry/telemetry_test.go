package telemetry

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"automl/internal/probe"
)

var _ probe.Sink = (*Metrics)(nil)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// The server answers /healthz always, /readyz as ready says (503 with its
// one line, then 200), and /metrics in the text format with what the
// probe and the command reported.
func TestServeEndpoints(t *testing.T) {
	m := New()
	var why atomic.Pointer[string]
	s := "study quickstart is being loaded"
	why.Store(&s)
	srv, err := Serve("127.0.0.1:0", m, func() error {
		if w := why.Load(); w != nil {
			return errors.New(*w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	base := "http://" + srv.Addr()
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || body != "not ready: study quickstart is being loaded\n" {
		t.Errorf("/readyz while loading: %d %q", code, body)
	}
	why.Store(nil)
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz once ready: %d %q", code, body)
	}

	restore := probe.Set(m)
	defer restore()
	feed(m)

	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`automl_slots{gpu="0,1",worker="box"} 1`,
		`automl_slots{gpu="none",worker="box"} 2`,
		`automl_slots_busy{gpu="0,1",worker="box"} 0`,
		`automl_slots_busy{gpu="none",worker="box"} 1`,
		`automl_slot_busy_seconds_total{gpu="0,1",worker="box"} 1.5`,
		`automl_trial_duration_seconds_count{outcome="done"} 1`,
		`automl_trial_duration_seconds_bucket{outcome="done",le="2.5"} 1`,
		`automl_trial_duration_seconds_bucket{outcome="done",le="1"} 0`,
		`automl_trial_failures_total{reason="trainer"} 1`,
		`automl_store_commit_duration_seconds_count 1`,
		`automl_suggestion_duration_seconds_count{call="next"} 1`,
		`automl_redeliveries_total{pool="default"} 1`,
		`automl_lease_expiries_total{pool="default"} 1`,
		`automl_nats_reconnects_total{conn="automl-worker"} 1`,
		`automl_events_dropped_total{reason="forged"} 1`,
		`automl_plugin_launches_total{plugin="mlp"} 1`,
		`automl_plugin_crashes_total{plugin="mlp"} 1`,
		`automl_checkpoint_bytes_total{op="saved"} 4096`,
		// the first call sets the baseline; the second adds what finished since
		`automl_trials{state="completed",study="quickstart"} 5`,
		`automl_trials{state="running",study="quickstart"} 0`,
		`automl_trials{state="pending",study="quickstart"} 0`,
		`automl_trials_finished_total{state="completed",study="quickstart"} 2`,
		`automl_trials_finished_total{state="failed",study="quickstart"} 1`,
		`automl_trials_running{study="quickstart"} 0`,
		`automl_study_best_value{study="quickstart"} 0.4`,
		`automl_queue_depth{pool="default"} 7`,
		"go_goroutines ",
	} {
		if !strings.Contains(body, "\n"+want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n, err := testutil.GatherAndLint(m.Registry()); err != nil || len(n) > 0 {
		t.Errorf("lint: %v %v", n, err)
	}
	promtoolCheck(t, body)
}

// feed reports one of everything through the probe (the Sink set) and
// the command's methods.
func feed(m *Metrics) {
	p := probe.Get()
	p.SlotsChanged("box", "0,1", 1)
	p.SlotsChanged("box", "none", 2)
	p.SlotBusy("box", "0,1")
	p.SlotFree("box", "0,1", "done", "", 1500*time.Millisecond)
	p.SlotBusy("box", "none")
	p.SlotFree("box", "none", "crashed", "trainer", 200*time.Millisecond)
	p.SlotBusy("box", "none")
	p.StoreCommitted(3 * time.Millisecond)
	p.Searched("next", 40*time.Microsecond)
	p.Redelivered("default")
	p.LeaseLapsed("default")
	p.Reconnected("automl-worker")
	p.Dropped("forged")
	p.PluginLaunched("mlp")
	p.PluginCrashed("mlp")
	p.Checkpoint("saved", 4096)
	m.Study("quickstart", map[string]int{"completed": 3, "running": 1}, 0.5, true)
	m.Study("quickstart", map[string]int{"completed": 5, "failed": 1}, 0.4, true)
	m.Queue("default", 7)
}

// A taken address is an error at once, naming it.
func TestServeTakenAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	start := time.Now()
	_, err = Serve(ln.Addr().String(), New(), func() error { return nil })
	if err == nil || !strings.Contains(err.Error(), "--metrics "+ln.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s", d)
	}
}

// promtoolCheck runs promtool check metrics on a scrape: it must pass
// (no lint problems either). Without promtool on PATH the check is skipped,
// unless AUTOML_PROMTOOL_TESTS=1 (CI sets it), which makes it a failure.
func promtoolCheck(t *testing.T, scrape string) {
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

// ServeStored reports the studies its read returns at each scrape; a read
// that fails leaves them out and the rest is still served.
func TestServeStored(t *testing.T) {
	m := New()
	var fail atomic.Bool
	m.ServeStored(func() ([]Stored, error) {
		if fail.Load() {
			return nil, errors.New("study file gone")
		}
		return []Stored{
			{Study: "a", Counts: map[string]int{"completed": 4, "imported": 2}, Best: 0.25, HasBest: true},
			{Study: "b", Counts: map[string]int{"failed": 1}},
		}, nil
	})
	srv, err := Serve("127.0.0.1:0", m, func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, body := get(t, "http://"+srv.Addr()+"/metrics")
	for _, want := range []string{
		`automl_stored_trials{state="completed",study="a"} 4`,
		`automl_stored_trials{state="imported",study="a"} 2`,
		`automl_stored_trials{state="running",study="a"} 0`,
		`automl_stored_trials{state="failed",study="b"} 1`,
		`automl_stored_best_value{study="a"} 0.25`,
	} {
		if code != 200 || !strings.Contains(body, "\n"+want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
	if strings.Contains(body, `automl_stored_best_value{study="b"}`) {
		t.Error("a best value for a study without one")
	}
	promtoolCheck(t, body)
	fail.Store(true)
	code, body = get(t, "http://"+srv.Addr()+"/metrics")
	if code != 200 || strings.Contains(body, "automl_stored_trials{") || !strings.Contains(body, "\ngo_goroutines ") {
		t.Errorf("with the read failing: %d\n%s", code, body)
	}
}
