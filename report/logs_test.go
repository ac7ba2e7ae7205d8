package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"automl/backends/memory"
	"automl/report/reporttest"
	"automl/trial"
	"automl/trial/triallog"
)

func logLines(id, attempt, n int, text string) triallog.Part {
	p := triallog.Part{ID: id, Attempt: attempt, Delivery: 1, Chunk: triallog.Chunk{Seq: 1}}
	for i := range n {
		p.Lines = append(p.Lines, triallog.Line{Stream: triallog.Stderr, Text: fmt.Sprintf("%s %d", text, i)})
	}
	return p
}

// A report holds the last lines of its failed trials' logs (of the last
// attempt that printed), and none of other trials; in the page, a log's
// text cannot end the script element.
func TestReportHoldsFailedTrialsLastLines(t *testing.T) {
	ctx := context.Background()
	c := reporttest.Study(reporttest.Options{Trials: 60, Seed: 1})
	var failed, other []int
	for _, r := range c.Trials {
		if r.State == trial.Failed {
			failed = append(failed, r.ID)
		} else if len(other) == 0 {
			other = append(other, r.ID)
		}
	}
	if len(failed) < 2 {
		t.Fatalf("the fixture has %d failed trials", len(failed))
	}
	evil := `</script><script>alert(1)</script>`
	c.Logs = []triallog.Part{
		logLines(failed[0], 1, 80, "trial "+strconv.Itoa(failed[0])+" line"),
		logLines(failed[1], 1, 3, evil),
		logLines(other[0], 1, 5, "a completed trial's line"),
	}
	st := memory.New()
	if err := st.Commit(ctx, "fixture", c); err != nil {
		t.Fatal(err)
	}
	d, err := Load(ctx, st, "fixture", Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := d.Logs[failed[0]]
	if len(d.Logs) != 2 || len(l.Lines) != LogTail || l.Total != 80 || l.Lines[LogTail-1].Text != fmt.Sprintf("trial %d line 79", failed[0]) {
		t.Fatalf("logs of %d trials; trial %d: %d lines of %d, ending %+v", len(d.Logs), failed[0], len(l.Lines), l.Total, l.Lines[len(l.Lines)-1])
	}
	if _, ok := d.Logs[other[0]]; ok {
		t.Error("the report holds the log of a trial that did not fail")
	}
	d2, _ := Load(ctx, st, "fixture", Options{MaxLogs: 1})
	if len(d2.Logs) != 1 {
		t.Errorf("MaxLogs 1: %d logs", len(d2.Logs))
	}

	var b bytes.Buffer
	if err := WriteHTML(&b, d, View{DB: "runs/sweep.db"}, generated); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, evil) {
		t.Fatal("a log line appears raw in the page")
	}
	_, data, script := pageParts(t, page)
	var doc struct {
		View View
		Logs map[string]struct {
			Attempt, Total int
			Lines          []triallog.Line
		}
	}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Logs[strconv.Itoa(failed[1])]
	if doc.View.DB != "runs/sweep.db" || got.Attempt != 1 || got.Total != 3 || got.Lines[2].Text != evil+" 2" || got.Lines[2].Stream != triallog.Stderr {
		t.Errorf("page data: view %+v, log %+v", doc.View, got)
	}
	for _, want := range []string{`"automl logs "`, `" --db "`, "logButton", "last lines of trial "} {
		if !strings.Contains(script, want) {
			t.Errorf("the page's script lacks %s", want)
		}
	}
}
