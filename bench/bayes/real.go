package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"automl/search/benchfn"
)

// realSpace is the "real space" check on the funcs trainer's mixed
// space (two floats, an int and a categorical; the mlp trainer on
// breast_cancer is not wired in here): for each of 5 seeds, random search
// runs 200 trials and its best value is the target; GP and TPE run with
// the same seed and we count the trials they need to reach that target.
func realSpace(w io.Writer, jobs int) error {
	f, _ := benchfn.Get("mixed")
	const seeds, budget = 5, 200
	names := []string{"random", "gp", "tpe"}
	traces := make(map[string][][]float64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(names)*seeds)
	sem := make(chan struct{}, max(1, jobs))
	for _, n := range names {
		traces[n] = make([][]float64, seeds)
		for seed := 0; seed < seeds; seed++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				r, err := runStudy(f, ourSamplers[n], uint64(100+seed), []int{budget}, 1, true)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				traces[n][seed] = r.Trace
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Fprintf(w, "\n### Real space (funcs trainer, mixed: x1, x2 float, k int, c categorical): trials to reach random search's best of %d\n\n", budget)
	fmt.Fprintf(w, "| sampler | per seed (100..104) | median |\n|---|---|---|\n")
	for _, n := range []string{"gp", "tpe"} {
		var counts []int
		var cells []string
		for seed := 0; seed < seeds; seed++ {
			target := traces["random"][seed][budget-1]
			c := budget + 1 // not reached
			for i, b := range traces[n][seed] {
				if b <= target {
					c = i + 1
					break
				}
			}
			counts = append(counts, c)
			if c > budget {
				cells = append(cells, fmt.Sprintf(">%d", budget))
			} else {
				cells = append(cells, fmt.Sprint(c))
			}
		}
		sorted := append([]int(nil), counts...)
		sort.Ints(sorted)
		med := fmt.Sprint(sorted[seeds/2])
		if sorted[seeds/2] > budget {
			med = fmt.Sprintf(">%d", budget)
		}
		fmt.Fprintf(w, "| automl-%s | %s | %s |\n", n, strings.Join(cells, ", "), med)
	}
	return nil
}
