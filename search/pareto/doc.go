// Package pareto is the toolkit of multi-objective and constrained search:
// Pareto dominance, constraint domination, non-dominated sorting, crowding
// distance, the exact hypervolume and each point's exclusive share of it,
// and a default reference point. It depends on nothing but the standard
// library, so every layer (samplers, scheduler, reports) may use it.
//
// Conventions, the same in every function:
//
//   - Losses. A point is a vector of k ≥ 1 objectives, all losses: smaller
//     is better. A caller maximising an objective negates it first. All the
//     points of one call have the same k; a call that is given points of
//     different lengths, or of none, says which (an error, never a panic).
//   - NaN is the worst loss: worse than +Inf, equal to another NaN. So
//     (1, 5) dominates (1, NaN), while (NaN, 0) and (0, 1) do not dominate
//     each other. Equal vectors, NaNs included, do not dominate each
//     other; -0 and +0 are equal.
//   - Dominance. a dominates b when a is no worse than b in every objective
//     and strictly better in at least one.
//   - Violation. A point may carry a total constraint violation: 0 (or
//     less) is feasible, more is infeasible, NaN is the worst violation.
//     Under constraint domination (Deb) a feasible point dominates every
//     infeasible one, of two infeasible points the one with the smaller
//     violation dominates (equal violations: neither), and of two feasible
//     points plain dominance decides. A nil violations slice means all
//     points are feasible.
//   - Ranks. Rank 0 is the Pareto front (no point dominates its members);
//     rank r+1 is the front of what is left once ranks 0..r are removed, as
//     in NSGA-II. Equal vectors have the same rank.
//   - Hypervolume is measured against a reference point, which is a finite
//     worst corner: the volume a set dominates inside the box between
//     its points and the reference. A point that is not strictly better
//     than the reference in every objective (NaN and +Inf losses included)
//     adds nothing; a -Inf loss that is would make the volume unbounded
//     and is refused.
package pareto
