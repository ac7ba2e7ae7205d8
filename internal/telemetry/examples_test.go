package telemetry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"automl/internal/probe"
)

const fleetDir = "../../examples/fleet"

// promtoolBin is promtool's path; without it the test is skipped, unless
// AUTOML_PROMTOOL_TESTS=1 (CI), which makes it a failure.
func promtoolBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("AUTOML_PROMTOOL_TESTS") == "1" {
			t.Fatal("no promtool on PATH, and AUTOML_PROMTOOL_TESTS=1 requires it (apt-get install prometheus)")
		}
		t.Skip("no promtool on PATH (set AUTOML_PROMTOOL_TESTS=1 to make this a failure)")
	}
	return bin
}

func promtoolRun(t *testing.T, bin string, args ...string) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// examples/fleet/prometheus.yml passes promtool check config.
func TestFleetPrometheusConfig(t *testing.T) {
	promtoolRun(t, promtoolBin(t), "check", "config", filepath.Join(fleetDir, "prometheus.yml"))
}

type dashboard struct {
	Title  string `json:"title"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// examples/fleet/grafana-dashboard.json: every query parses as PromQL
// (promtool check rules, each query a recording rule with Grafana's
// variables filled in) and names only metrics automl serves; the panels
// the issue asks for are there.
func TestFleetGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fleetDir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	m := New()
	defer probe.Set(m)()
	feed(m)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, f := range families {
		served[f.GetName()] = true
	}
	metric := regexp.MustCompile(`automl_[a-z_]+`)
	vars := strings.NewReplacer("$__rate_interval", "5m", "$study", ".*", "$worker", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	titles := map[string]bool{}
	for i, p := range d.Panels {
		titles[p.Title] = true
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for j, q := range p.Targets {
			for _, name := range metric.FindAllString(q.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
				if !served[name] && !served[base] {
					t.Errorf("panel %q: %s is not a metric automl serves", p.Title, name)
				}
			}
			fmt.Fprintf(&rules, "      - record: panel%d_query%d\n        expr: %q\n", i, j, vars.Replace(q.Expr))
		}
	}
	for _, want := range []string{"Trials finished per second", "Slot utilisation per GPU", "Best value over time", "Failures by reason"} {
		if !titles[want] {
			t.Errorf("no panel %q", want)
		}
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	promtoolRun(t, promtoolBin(t), "check", "rules", path)
}
