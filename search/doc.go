// Package search owns the search space and the algorithm contracts: the
// space file (YAML parsing and validation with file:line:column errors),
// parameters and their values, the unit-cube transform every sampler works
// in, the history samplers read, and the Sampler and Searcher interfaces
// with the registry the space file is checked against. Algorithms live in
// sub-packages (search/random, search/grid, search/sobol, ...); all of them
// are pure: randomness comes from the rng passed in, knowledge from the
// arguments, and a searcher's whole state is its snapshot.
package search
