// Package searchtest is the conformance suite every sampler and searcher
// runs. It drives the algorithm like the scheduler does, over a study of
// simulated trials on a set of spaces (continuous, log, int with step,
// categorical with strings, numbers and bools, conditional with nesting,
// multi-value and multi-parent `when`), and checks the contracts of
// search.Searcher and search.Sampler:
//
//   - every created point lies inside the space and honours `when`
//     (inactive parameters absent), and conditional parameters are seen both
//     active and absent over a study;
//   - at most Context.Want Creates per call, new ids only from Context.NewID,
//     promotions only of known, idle trials, nothing created after Done;
//   - same seed, same actions; different seeds, different points;
//   - Snapshot, Restore into a fresh searcher, Snapshot is byte-identical, and
//     the restored searcher answers the next call exactly as the original
//     (same actions, same snapshot, same use of the rng);
//   - a duplicate event is a no-op: observing an event a second time answers
//     exactly like Next with the same context;
//   - samplers are pure: same history and rng state, same point, history untouched;
//   - imported results (Observation.Imported, a warm start) in the history,
//     before Start and in mid-study, are never stopped or continued, take
//     nothing from the budget (a grid hands out all its points), and change
//     the first proposals of a searcher that learns (Config.Learns).
//
// Studies of several objectives and of constraints (GoalSpaces,
// ConstrainedSpaces; goals.go) run the same checks with trials that
// report a loss vector and a violation, and RunGoals checks besides that
// a searcher that learns reads them, not Loss alone.
//
// Losses come from search/benchfn (Ackley over the encoded unit cube, a
// fixed share of trials fail), so model-based searchers see a real signal.
//
// Use it from an algorithm's external test package (package foo_test, so
// the algorithm registers itself and no import cycle arises):
//
//	func TestConformance(t *testing.T) {
//		searchtest.Run(t, searchtest.Config{Algorithm: "tpe"})
//	}
//
//	func TestSamplerConformance(t *testing.T) {
//		searchtest.RunSampler(t, searchtest.Config{Algorithm: "sobol"},
//			func(s *search.Space, set search.Settings) (search.Sampler, error) {
//				return sobol.New(s.Dim(), set.Seed, true)
//			})
//	}
//
// Config.Options adds algorithm keys (e.g. "min_resource: 1, max_resource: 9"),
// Config.Discrete gives floats `points: 3` for algorithms that need finite
// domains, Config.Spaces replaces the standard spaces. Spaces use the
// trainer "./searchtest-null", a plugin path, for which the space file
// accepts any parameters.
package searchtest
