package bolt

import (
	"context"
	"path/filepath"
	"testing"

	"automl/backends/storetest"
	"automl/scheduler"
)

// A study whose scheduler died without closing it (SIGKILL: the record
// still says running) is listed as interrupted, with how to continue it,
// by a reader of the file and by a writer running another study; the
// study a writer runs is listed as running.
func TestStudyOfADeadSchedulerIsListedInterrupted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "automl.db")
	a, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	commitTrials(t, a, 0, 1) // study s, recorded as running
	r, err := OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wantStatus(t, "s while its writer runs", r, "s", scheduler.StudyRunning)

	// Closed without ending the study, as a killed process leaves it.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "s read from the file, its writer gone", r, "s", scheduler.StudyInterrupted)

	b, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Commit(ctx, "t", scheduler.Change{Study: storetest.StudyConfig("t", "minimize")}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "s through a writer of another study", r, "s", scheduler.StudyInterrupted)
	wantStatus(t, "t through its writer", r, "t", scheduler.StudyRunning)
	infos, err := b.Studies(ctx)
	if err != nil || len(infos) != 2 || infos[0].Status != scheduler.StudyInterrupted || infos[1].Status != scheduler.StudyRunning {
		t.Fatalf("the writer's own listing: %+v, %v; want s interrupted, t running", infos, err)
	}
}

func wantStatus(t *testing.T, what string, r *Reader, study string, want scheduler.StudyStatus) {
	t.Helper()
	ctx := context.Background()
	st, err := r.Load(ctx, study)
	if err != nil || st.Study == nil || st.Study.Status != want {
		t.Errorf("%s: Load %+v, %v; want status %s", what, st.Study, err, want)
	}
	infos, err := r.Studies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Name != study {
			continue
		}
		if in.Status != want {
			t.Errorf("%s: listed %s (%s), want %s", what, in.Status, in.Reason, want)
		}
		if want == scheduler.StudyInterrupted && in.Reason != staleReason {
			t.Errorf("%s: reason %q, want %q", what, in.Reason, staleReason)
		}
		return
	}
	t.Errorf("%s: not listed", what)
}
