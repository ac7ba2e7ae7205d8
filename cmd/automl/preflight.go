package main

import (
	"errors"
	"fmt"

	"automl/plugins"
	"automl/spacefile"
)

// preflight checks, before a study's first trial, what every trial would
// otherwise fail on and the space file alone cannot tell: a plugin binary
// is started and completes the handshake (then ends); a built-in trainer
// runs its own Preflight (mlp reads its whole data set, exec finds its
// program). local is false when no trial runs on this machine (automl
// search --workers 0): a plugin binary or a program on PATH is then
// looked for by each worker, not here, and checked says so. The mistakes
// come back as a spacefile.ErrorList, each at its key in the space file.
func preflight(f *spacefile.File, local bool) (checked []string, err error) {
	var errs []error
	if spec, builtin := spacefile.LookupTrainer(f.Trainer.Plugin); builtin {
		if spec.Preflight != nil {
			checked, errs = spec.Preflight(f, local)
		}
	} else if !local {
		checked = append(checked, fmt.Sprintf("plugin %s: not looked for here, where no trial runs; each worker starts it", f.Trainer.Plugin))
	} else {
		cfg, _, err := plugins.HostOptions{}.ConfigFor(f.JobTrainer())
		if err == nil {
			err = plugins.Check(cfg)
		}
		if err != nil {
			errs = append(errs, f.TrainerKeyError("plugin", "%v", err))
		} else {
			checked = append(checked, fmt.Sprintf("plugin %s: started, completed the handshake, ended", f.Trainer.Plugin))
		}
	}
	if len(errs) == 0 {
		return checked, nil
	}
	list := make(spacefile.ErrorList, 0, len(errs))
	for _, e := range errs {
		var se *spacefile.Error
		if !errors.As(e, &se) {
			se = &spacefile.Error{File: f.Path, Where: "trainer", Msg: e.Error()}
		}
		list = append(list, se)
	}
	return checked, list
}

// printSpaceErrors prints every mistake of a space file, one a line, and
// returns how many there were.
func printSpaceErrors(w interface{ Write([]byte) (int, error) }, err error) int {
	var list spacefile.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		return len(list)
	}
	fmt.Fprintln(w, err)
	return 1
}
