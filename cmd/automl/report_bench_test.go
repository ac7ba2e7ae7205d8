package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"automl/backends/bolt"
	"automl/internal/cputime"
	"automl/report/reporttest"
)

// BenchmarkReport times `automl report` end to end, in process: open the
// study file, load the study and its learning curves, build every view
// (fANOVA included) and write the file. The study is the reporttest
// fixture (5 parameters, one conditional; every epoch reported, about 6
// reports per trial). The "running" cases read through the socket of a
// writer that holds the file, as while automl search runs.
//
//	go test ./cmd/automl -run XXX -bench Report -benchtime 5x
func BenchmarkReport(b *testing.B) {
	for _, trials := range []int{1000, 100000} {
		dir := b.TempDir()
		writeFixture(b, dir, reporttest.Options{Trials: trials, Seed: 1, Reports: true}, false)
		db := filepath.Join(dir, "automl.db")
		for _, format := range []string{"html", "md", "csv", "json"} {
			b.Run(fmt.Sprintf("%dk/%s", trials/1000, format), func(b *testing.B) { benchReport(b, db, format, trials) })
		}
		st, err := bolt.Open(db, nil) // a writer holds the file, as automl search does
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dk/html/running", trials/1000), func(b *testing.B) { benchReport(b, db, "html", trials) })
		st.Close()
	}
}

func benchReport(b *testing.B, db, format string, trials int) {
	out := filepath.Join(b.TempDir(), "report."+format)
	args := []string{"report", "fixture", "--db", db, "--format", format, "-o", out}
	b.ReportAllocs()
	start := cputime.Process()
	for b.Loop() {
		root := newRootCmd()
		root.SetArgs(args)
		root.SetErr(devNull{})
		if err := root.ExecuteContext(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cputime.Process()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
	if fi, err := os.Stat(out); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(trials), "bytes/trial")
	}
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }
