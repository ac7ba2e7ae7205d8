// Package cmaes is the CMA-ES sampler (algorithm name "cmaes"): the
// covariance matrix adaptation evolution strategy after Hansen's tutorial
// ("The CMA Evolution Strategy: A Tutorial", 2016) with the defaults of
// Optuna 3.1's CmaEsSampler and of the cmaes package it drives: population
// 4 + ⌊3 ln n⌋ for n numeric parameters, initial step size 1/6 of the unit
// cube's range, the mean at the cube's centre (or Options.X0, or the best
// imported result), one startup trial drawn independently; rank-one and
// rank-μ covariance updates and cumulative step-size adaptation.
//
// On top of Optuna's defaults:
//
//   - IPOP restarts (restart: ipop, the default; Auger and Hansen 2005):
//     when a run stops by the cmaes package's termination tests (stagnant
//     losses, a vanishing or diverging step size, no effect of a
//     coordinate or principal axis, a condition number of C above 1e14),
//     the next run starts from a random mean with twice the population.
//   - Margin (with_margin: true, the default; Hamano et al., "CMA-ES with
//     Margin", GECCO 2022): ints, floats with a step and grids are
//     discrete coordinates of the unit cube, and after every update the
//     probability of leaving the mean's value is kept at least 1/(nλ), so
//     a discrete parameter never freezes while the others are searched.
//
// Categorical parameters and conditional ones (any with a `when`), which
// CMA-ES cannot model, are drawn by an independent sampler: uniformly at
// random by default, as Optuna's CmaEsSampler does
// (independent_sampler: random), or by TPE with its defaults
// (independent_sampler: tpe).
//
// The sampler is pure: its state is a replay of the history (replay.go).
// The study's own trials in creation order form the generations; a
// suggestion made while trials of the current generation are pending is
// the next draw of that generation (a function of the seed and the
// trial's index, so parallel slots get distinct samples); the
// distribution is updated once all λ trials of a generation completed.
// Failed and pruned trials, and complete ones without a finite loss, are
// left out, so the generation takes the next trial in their place (Optuna
// too waits for λ complete trials). Imported results set the first mean
// (the best of those present before the study's first trial) and are
// otherwise not used. The replay of the last call is cached, keyed on the
// history's prefix, so a suggestion costs one generation's update at most.
package cmaes
