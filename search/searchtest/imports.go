package searchtest

import (
	"math/rand/v2"
	"testing"

	"automl/search"
)

// importedN is how many imported results a warm study starts with; as
// many again arrive in the middle of the study.
const importedN = 16

// checkImported runs a study whose history holds imported results (a warm
// start from another study): some before Start, as many again in the
// middle of the study, as automl import adds them to a running study. The
// searcher never stops or continues an imported result (the driver fails
// the test), the study creates as many trials of its own as a cold one
// (imported results use up neither the budget nor a grid), the same seed
// gives the same study, and a searcher that learns (Config.Learns)
// proposes differently from the cold study at once.
func checkImported(t testing.TB, cfg Config, c Case) {
	cold := start(t, cfg, c, seedA)
	cold.run()
	warm := warmStudy(t, cfg, c)
	warm.run()
	if t.Failed() {
		return
	}
	if warm.trials != cold.trials {
		t.Fatalf("with %d imported results the study created %d trials of its own, a cold one %d: imported results are not part of the budget", 2*importedN, warm.trials, cold.trials)
	}
	again := warmStudy(t, cfg, c)
	again.run()
	if keys(again.points) != keys(warm.points) {
		t.Fatal("same seed and same imported results, different trials")
	}
	if cfg.Learns {
		n := min(cfg.Slots, len(cold.points), len(warm.points))
		if keys(cold.points[:n]) == keys(warm.points[:n]) {
			t.Fatalf("the first %d proposals are those of a cold study: the searcher did not learn from %d imported results", n, importedN)
		}
	}
}

// warmStudy is a study whose history starts with importedN imported
// results and receives importedN more before its tenth call.
func warmStudy(t testing.TB, cfg Config, c Case) *study {
	st := start(t, cfg, c, seedA)
	st.imported = map[int]bool{}
	src := rand.New(rand.NewPCG(99, 98)) // the other study's points
	importSome := func() {
		for range importedN {
			u := make([]float64, st.space.Dim())
			for i := range u {
				u[i] = src.Float64()
			}
			p := st.space.Decode(u)
			id := st.nextID
			st.nextID++
			st.imported[id] = true
			st.h.Add(search.Observation{ID: id, Point: p, Status: search.Complete, Loss: Loss(st.space, p), HasLoss: true, Imported: true})
			st.reportGoals(&st.h.Trials[len(st.h.Trials)-1])
		}
	}
	importSome()
	st.importAt = func(call int) {
		if call == 10 {
			importSome()
		}
	}
	return st
}
