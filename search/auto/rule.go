package auto

import (
	"fmt"

	"automl/search"
)

// The rule (bench/bayes/RESULTS.md; README, "Which algorithm when"):
//
//   - conditional parameters (`when:`), more categorical parameters than
//     numeric ones, or more than MaxGPDims parameters: tpe (GP's kernel
//     and CMA-ES's Gaussian model numeric, unconditional spaces; TPE's
//     cost does not grow with the dimension);
//   - several objectives or constraints: gp (ParEGO, constrained EI) while
//     the space has at most MaxGoalsGPDims parameters and fewer than
//     GoalsGPTrials trials have completed, tpe (MOTPE, c-TPE) beyond: ParEGO
//     fits a model per suggestion, TPE's cost stays flat;
//   - otherwise gp until the study's own completed trials reach
//     switch_after, then cmaes (whose cost per suggestion stays flat, where
//     GP's grows as n² to n³).

const (
	// MaxGPDims is the most parameters gp and cmaes are chosen for.
	MaxGPDims = 20
	// MaxGoalsGPDims and GoalsGPTrials bound gp for several objectives
	// or constraints.
	MaxGoalsGPDims = 10
	GoalsGPTrials  = 300
)

// Choice is the delegate the rule picks, and why (for the log).
type Choice struct {
	Name string // gp, tpe or cmaes
	Why  string
}

// Choose applies the rule to a space and a history.
func Choose(space *search.Space, h *search.History, switchAfter int) Choice {
	cat := 0
	for i := range space.Params {
		if space.Params[i].Type == search.CategoricalParam {
			cat++
		}
	}
	dim, num := space.Dim(), space.Dim()-cat
	done, own, objectives, constraints := counts(h)
	switch {
	case space.Conditional():
		return Choice{"tpe", fmt.Sprintf("%d parameters, conditional ones (when:), %d trials so far", dim, done)}
	case cat > num:
		return Choice{"tpe", fmt.Sprintf("%d of %d parameters categorical, %d trials so far", cat, dim, done)}
	case dim > MaxGPDims:
		return Choice{"tpe", fmt.Sprintf("%d parameters, more than %d, %d trials so far", dim, MaxGPDims, done)}
	case objectives > 1 || constraints > 0:
		goals := plural(objectives, "objective") + ", " + plural(constraints, "constraint")
		switch {
		case dim > MaxGoalsGPDims:
			return Choice{"tpe", fmt.Sprintf("%s, %d parameters, more than %d, %d trials so far", goals, dim, MaxGoalsGPDims, done)}
		case done >= GoalsGPTrials:
			return Choice{"tpe", fmt.Sprintf("%s, after %d completed trials", goals, done)}
		}
		return Choice{"gp", fmt.Sprintf("%s, %d parameters, no conditions, %d trials so far", goals, dim, done)}
	case own >= switchAfter:
		return Choice{"cmaes", fmt.Sprintf("after %d completed trials", own)}
	}
	return Choice{"gp", fmt.Sprintf("%d numeric parameters, no conditions, %d trials so far", num, done)}
}

// counts reads the history: completed trials with a loss (all, and the
// study's own), and the number of objectives and constraints the results
// carry (1 and 0 until one has completed).
func counts(h *search.History) (done, own, objectives, constraints int) {
	objectives = 1
	if h == nil {
		return
	}
	for i := range h.Trials {
		o := &h.Trials[i]
		if o.Status != search.Complete || !o.HasLoss {
			continue
		}
		done++
		if !o.Imported {
			own++
		}
		objectives = max(objectives, len(o.Losses))
		constraints = max(constraints, len(o.Slacks))
	}
	return
}

// plural writes n and a noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
