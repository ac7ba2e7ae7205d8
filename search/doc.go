// Package search owns the search space and the algorithm contracts: the
// parameters of a study (Space, made by NewSpace, which checks the
// conditions between them), points and the unit-cube transform every
// sampler works in, the history samplers read, the Sampler and Searcher
// interfaces, and the registry of algorithms with their options
// (Register, Lookup, NewSearcher). A parameter's values are in the
// sub-package value; the algorithms are sub-packages too (search/random,
// search/grid, search/sobol, search/tpe, search/gp, the multi-fidelity
// ones over search/fidelity). Algorithms are given the space and their own
// settings (search.Settings: name, seed, options), never the study file,
// which the spacefile package parses. All of them are pure: randomness
// comes from the rng passed in, knowledge from the arguments, and a
// searcher's whole state is its snapshot.
package search
