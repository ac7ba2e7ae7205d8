package bolt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"automl/backends/storetest"
	"automl/internal/cputime"
	"automl/scheduler"
	"automl/trial"
)

// BenchmarkCommitStep measures one typical scheduler step: two trials
// finish (records and final reports), two new trials are proposed, and the
// searcher snapshot (2 KiB) is replaced; one fsync'd transaction.
func BenchmarkCommitStep(b *testing.B) {
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "automl.db"), &Options{NoServe: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Commit(ctx, "s", scheduler.Change{Study: storetest.StudyConfig("s", "minimize")}); err != nil {
		b.Fatal(err)
	}
	snap := storetest.Snapshot(0)
	snap.Searcher = make([]byte, 2048)
	b.ReportAllocs()
	defer reportCPU(b, cputime.Process())
	id := 0
	for b.Loop() {
		snap.NextID = id + 4
		c := scheduler.Change{
			Snapshot: snap,
			Trials: []trial.Record{
				storetest.Record(id, trial.Completed, 0.5), storetest.Record(id+1, trial.Completed, 0.4),
				storetest.Record(id+2, trial.Pending, 0), storetest.Record(id+3, trial.Pending, 0),
			},
			Reports: []scheduler.Report{storetest.Report(id, 1, 0.5), storetest.Report(id+1, 1, 0.4)},
		}
		if err := s.Commit(ctx, "s", c); err != nil {
			b.Fatal(err)
		}
		id += 2
	}
}

const bigStudy = 100_000

var (
	bigOnce sync.Once
	bigPath string
	bigErr  error
)

// bigStore returns the path of a store holding study "s" with 100,000
// completed trials, built once per test binary run (removed by TestMain's
// caller via the temp dir below).
func bigStore(b *testing.B) string {
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "automl-bolt-bench-")
		if err != nil {
			bigErr = err
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		bigPath = filepath.Join(dir, "automl.db")
		s, err := Open(bigPath, &Options{NoServe: true})
		if err != nil {
			bigErr = err
			return
		}
		defer s.Close()
		for from := 0; from < bigStudy && bigErr == nil; from += 5000 {
			c := scheduler.Change{Snapshot: storetest.Snapshot(from + 5000)}
			if from == 0 {
				c.Study = storetest.StudyConfig("s", "minimize")
			}
			for id := from; id < from+5000; id++ {
				c.Trials = append(c.Trials, storetest.Record(id, trial.Completed, float64(id%977)))
			}
			bigErr = s.Commit(context.Background(), "s", c)
		}
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigPath
}

func benchLoad(b *testing.B, st scheduler.Store) {
	b.ReportAllocs()
	defer reportCPU(b, cputime.Process())
	for b.Loop() {
		got, err := st.Load(context.Background(), "s")
		if err != nil {
			b.Fatal(err)
		}
		if len(got.Trials) != bigStudy {
			b.Fatalf("%d trials", len(got.Trials))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/bigStudy, "ns/trial")
}

// reportCPU reports the process's CPU time per op since start (all
// threads: the socket server's too, and parallel decoding's).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cputime.Process()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkLoad100k: Load of a study of 100,000 trials from the file.
func BenchmarkLoad100k(b *testing.B) {
	s, err := Open(bigStore(b), &Options{NoServe: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchLoad(b, s)
}

// BenchmarkLoad100kThroughSocket: the same Load by a Reader while a
// writer holds the file (the path of `automl trials` on a running study).
func BenchmarkLoad100kThroughSocket(b *testing.B) {
	s, err := Open(bigStore(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r, err := OpenReader(s.Path())
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchLoad(b, r)
}

// BenchmarkStudies100k: the study listing (counts, best) over 100,000 trials.
func BenchmarkStudies100k(b *testing.B) {
	s, err := Open(bigStore(b), &Options{NoServe: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	defer reportCPU(b, cputime.Process())
	for b.Loop() {
		infos, err := s.Studies(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n := infos[0].Counts[trial.Completed]; n != bigStudy {
			b.Fatal(fmt.Sprint(n, " completed"))
		}
	}
}

// BenchmarkDiskSync is the floor under BenchmarkCommitStep: one 4 KiB
// write and fdatasync on the same file system (bbolt syncs twice per
// commit: data pages, then the meta page).
func BenchmarkDiskSync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "sync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	for b.Loop() {
		if _, err := f.WriteAt(page, 0); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommitStepBackup100k is BenchmarkCommitStep on a copy of the
// 100,000-trial store (54 MB), with the rolling backup off and on (every
// 100 commits: a copy, fsync and check of the whole file in the
// background, far more often than the default). It reports the commit
// latency's median, 99th percentile and maximum: what the scheduler loop
// would wait.
func BenchmarkCommitStepBackup100k(b *testing.B) {
	for _, every := range []int{0, 100, 1000} {
		name := "off"
		if every > 0 {
			name = fmt.Sprintf("every%d", every)
		}
		b.Run(name, func(b *testing.B) {
			src, err := os.ReadFile(bigStore(b))
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(b.TempDir(), "automl.db")
			if err := os.WriteFile(path, src, 0o600); err != nil {
				b.Fatal(err)
			}
			backups := 0
			s, err := Open(path, &Options{NoServe: true, BackupEvery: every, OnBackup: func(_ string, err error) {
				if err != nil {
					b.Error(err)
				}
				backups++
			}})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			snap := storetest.Snapshot(0)
			snap.Searcher = make([]byte, 2048)
			var lat []time.Duration
			id := bigStudy
			for b.Loop() {
				snap.NextID = id + 4
				c := scheduler.Change{
					Snapshot: snap,
					Trials: []trial.Record{
						storetest.Record(id, trial.Completed, 0.5), storetest.Record(id+1, trial.Completed, 0.4),
						storetest.Record(id+2, trial.Pending, 0), storetest.Record(id+3, trial.Pending, 0),
					},
					Reports: []scheduler.Report{storetest.Report(id, 1, 0.5), storetest.Report(id+1, 1, 0.4)},
				}
				t0 := time.Now()
				if err := s.Commit(ctx, "s", c); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				id += 2
			}
			b.StopTimer()
			s.Close()
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
			b.ReportMetric(q(0.5), "p50-us")
			b.ReportMetric(q(0.99), "p99-us")
			b.ReportMetric(q(1), "max-us")
			b.ReportMetric(float64(backups), "backups")
		})
	}
}

// BenchmarkBackup100k: one backup of the 100,000-trial store (copy,
// fsync, check of the copy, rename).
func BenchmarkBackup100k(b *testing.B) {
	s, err := Open(bigStore(b), &Options{NoServe: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dst := filepath.Join(b.TempDir(), "automl.db.backup")
	defer reportCPU(b, cputime.Process())
	for b.Loop() {
		if err := s.backup(dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen100k: Open and Close of the 100,000-trial store, which
// checks the whole file (pages and every checksum).
func BenchmarkOpen100k(b *testing.B) {
	path := bigStore(b)
	defer reportCPU(b, cputime.Process())
	for b.Loop() {
		s, err := Open(path, &Options{NoServe: true})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
