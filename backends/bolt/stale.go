package bolt

import (
	"sync"

	"automl/scheduler"
)

// A study's record says "running" from its first commit until its
// scheduler ends it. A scheduler that was killed (SIGKILL, a power cut,
// the OOM killer) never ends it, so the record goes on saying "running"
// while nothing runs it. The file's lock tells the truth: a study runs only
// in the process that holds the file open for writing, and only if that
// process committed to it. Listings report any other "running" study as
// interrupted, with how to continue it; the record itself is left as it is
// (a reader never writes), and the next automl search of the study
// replaces it.

// staleReason is the reason listed for a study recorded as running that
// no process runs.
const staleReason = "its automl search process ended without closing the study (killed, or its machine stopped); run the same automl search command to continue it"

// liveStudies are the studies a writer committed to since it opened the
// file: the only ones that may be running.
type liveStudies struct{ m sync.Map }

func (l *liveStudies) add(study string) { l.m.Store(study, true) }

func (l *liveStudies) has(study string) bool {
	_, ok := l.m.Load(study)
	return ok
}

// noneLive is the answer of a reader that opened the file itself: no
// writer holds it, so nothing runs.
func noneLive(string) bool { return false }

// markStale lists the studies recorded as running that do not run (live
// says which do) as interrupted.
func markStale(infos []scheduler.StudyInfo, live func(study string) bool) {
	for i := range infos {
		markStaleStudy(&infos[i].Study, live)
	}
}

func markStaleStudy(st *scheduler.Study, live func(study string) bool) {
	if st != nil && st.Status == scheduler.StudyRunning && !live(st.Name) {
		st.Status, st.Reason = scheduler.StudyInterrupted, staleReason
	}
}
