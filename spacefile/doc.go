// Package spacefile is the study file a user writes (the space file):
// ParseFile reads and validates it into a File (the study's name, its
// objective, budget, algorithm settings, resource, trainer and parameter
// space) and reports every mistake at once, each with file:line:column,
// the key or parameter, and what would be right. Built-in trainers register
// here (RegisterTrainer) so their settings are checked when the file is
// read; algorithms are checked against the search registry. Compare says
// how an edited file differs from a study's, change by change (Diff, in
// one line); a parameter's default: is what earlier trials that ran
// without it are taken to have had.
//
// The parameter space itself is search.Space: this package places the
// mistakes search finds in it (a *search.ParamError) at the parameter's
// line, and gives algorithms only their settings (search.Settings), never
// the file.
package spacefile
