// Package warmstart reads results from elsewhere for a study to learn
// from: the completed trials of another study (a study file, loaded by the
// caller), or an export (the CSV or JSON that automl report writes, or a
// file written by hand: the parameters and the objective's metric). Each
// result is checked against the study's space and becomes a trial record
// in state imported (trial.Imported), which the study takes as a trial
// (control.Import, scheduler.Config.Imports); a result that does not fit
// the space is skipped with its reason (Result.Skipped), or is an error in
// strict mode. Parameters the source has and the space does not are
// dropped, values of parameters the space's conditions leave inactive too,
// and a parameter the source lacks takes the space's default when it has
// one.
//
// It does no I/O of its own beyond parsing the bytes it is given, so the
// command decides how files are opened (a study file through the store).
package warmstart
