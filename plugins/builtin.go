package plugins

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"automl/trial"
)

// The built-in trainers the automl binary serves (`automl plugin serve
// NAME`). Each trainer package registers itself in an init function;
// packages it cannot edit are registered by the command that links them.
var builtins = struct {
	sync.RWMutex
	byName map[string]func() trial.Runner
}{byName: map[string]func() trial.Runner{}}

// RegisterBuiltin makes a trainer servable by name. newRunner is called
// once, in the plugin process, before serving. It panics on a duplicate
// name: a programming error found at init.
func RegisterBuiltin(name string, newRunner func() trial.Runner) {
	builtins.Lock()
	defer builtins.Unlock()
	if _, dup := builtins.byName[name]; dup {
		panic(fmt.Sprintf("plugins: built-in trainer %q registered twice", name))
	}
	builtins.byName[name] = newRunner
}

// LookupBuiltin returns the runner factory of a built-in trainer. Jobs
// name built-in trainers by their registered names: an alias in a space
// file (func) is resolved where the file is read (spacefile.JobTrainer).
func LookupBuiltin(name string) (func() trial.Runner, bool) {
	builtins.RLock()
	defer builtins.RUnlock()
	f, ok := builtins.byName[name]
	return f, ok
}

// BuiltinNames lists the registered built-in trainers, sorted.
func BuiltinNames() []string {
	builtins.RLock()
	defer builtins.RUnlock()
	out := make([]string, 0, len(builtins.byName))
	for n := range builtins.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ServeBuiltin serves the named built-in trainer (see Serve); it is what
// `automl plugin serve NAME` runs. It returns an error only for an unknown
// name, before anything is written to stdout.
func ServeBuiltin(name string) error {
	newRunner, ok := LookupBuiltin(name)
	if !ok {
		return fmt.Errorf("%w %q; built-in trainers: %s", ErrUnknownBuiltin, name, strings.Join(BuiltinNames(), ", "))
	}
	Serve(newRunner())
	return nil
}
