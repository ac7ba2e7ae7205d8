package main

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestReportShowsTheMLPCosts: the mlp trainer's params and inference_ms
// are columns of a study's report. In CSV, params is each trial's
// architecture's count (two hidden layers of `units` u on iris's 4
// features and 3 classes: 4u+u + u²+u + 3u+3) and inference_ms a positive
// time; --columns +params,+inference_ms adds both to the markdown table,
// filled for every trial.
func TestReportShowsTheMLPCosts(t *testing.T) {
	dir := mlpStudy(t)
	out, errOut, code := automl(t, dir, "report", "iris", "--format", "csv", "--columns", "trial,units,params,inference_ms")
	if code != 0 {
		t.Fatalf("csv: exit %d %s", code, errOut)
	}
	_, rows, get := readCSV(t, out)
	if len(rows) != 6 {
		t.Fatalf("csv:\n%s", out)
	}
	for _, r := range rows {
		u, err1 := strconv.Atoi(get(r, "units"))
		p, err2 := strconv.ParseFloat(get(r, "params"), 64)
		ms, err3 := strconv.ParseFloat(get(r, "inference_ms"), 64)
		if err1 != nil || err2 != nil || err3 != nil || p != float64(u*u+9*u+3) || !(ms > 0) || math.IsInf(ms, 0) {
			t.Errorf("csv row %v: want params %d and a positive inference_ms", r, u*u+9*u+3)
		}
	}

	out, errOut, code = automl(t, dir, "report", "iris", "--columns", "+params,+inference_ms")
	if code != 0 {
		t.Fatalf("md: exit %d %s", code, errOut)
	}
	var at map[string]int
	width, filled := 0, 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(line, "|")
		if at == nil {
			at, width = map[string]int{}, len(cells)
			for i, c := range cells {
				at[strings.TrimSpace(c)] = i
			}
			if at["params"] == 0 || at["inference_ms"] == 0 || at["val_accuracy"] == 0 {
				t.Fatalf("md header %q: want val_accuracy, params and inference_ms\n%s", line, out)
			}
			continue
		}
		if strings.HasPrefix(line, "|--") || strings.HasPrefix(line, "| --") || len(cells) != width {
			continue
		}
		p, err1 := strconv.ParseFloat(strings.TrimSpace(cells[at["params"]]), 64)
		ms, err2 := strconv.ParseFloat(strings.TrimSpace(cells[at["inference_ms"]]), 64)
		if err1 != nil || err2 != nil || p < 1 || !(ms > 0) {
			t.Errorf("md row %q: params %v, inference_ms %v", line, err1, err2)
			continue
		}
		filled++
	}
	if filled != 6 {
		t.Errorf("%d md rows with params and inference_ms, want 6:\n%s", filled, out)
	}
}
