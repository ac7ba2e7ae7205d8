package report

import (
	"fmt"
	"io"
	"testing"
	"time"

	"automl/report/reporttest"
	"automl/scheduler"
)

// The report's own costs, without the store: building every view
// (leaderboard, lanes, summary, fANOVA, curves) and writing the page.
//
//	go test ./report -run XXX -bench . -benchtime 5x

func benchInput(n int) Input {
	c := reporttest.Study(reporttest.Options{Trials: n, Seed: 1, Reports: true})
	curves := map[int][]scheduler.Report{}
	for id, reps := range reporttest.Curves(c.Reports) {
		if len(curves) < DefaultMaxCurves {
			curves[id] = reps
		}
	}
	return Input{Study: c.Study, Trials: c.Trials, Curves: curves}
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		in := benchInput(n)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Build(in)
			}
		})
	}
}

func BenchmarkWriteHTML(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		d := Build(benchInput(n))
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteHTML(io.Discard, d, View{}, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImportance: the forest and fANOVA alone, on the most trials
// they are fitted to.
func BenchmarkImportance(b *testing.B) {
	d := Build(benchInput(maxImportanceTrials * 9))
	b.Logf("%d completed trials", d.Importance.Trials)
	b.ReportAllocs()
	for b.Loop() {
		importanceOf(d)
	}
}

// BenchmarkTables: the leaderboard as CSV and JSON, and a sort by a
// column, on 100,000 trials (the store aside).
func BenchmarkTables(b *testing.B) {
	in := benchInput(100000)
	rows := Leaderboard(in.Study, in.Trials)
	b.Run("csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := WriteCSV(io.Discard, Columns(in.Study, rows), rows); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := WriteJSON(io.Discard, in.Study, rows, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sort", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sorted := append([]Row(nil), rows...)
			if err := SortRows(in.Study, sorted, "-duration,learning_rate"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
