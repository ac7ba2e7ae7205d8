package spacefile

import "automl/internal/registry"

// TrainerSpec describes a built-in trainer, registered by its package so the
// space file's trainer section is checked against what is compiled in.
type TrainerSpec struct {
	Name    string
	Aliases []string
	// Check validates the trainer config and the parameters against what the
	// trainer understands; errors should name the key (see File.ConfigError).
	Check func(f *File) []error
	// Preflight, when set, checks before a study's first trial what Check
	// leaves out because it costs more than reading the file: the whole
	// data set, the program to run. local is false when the trials run on
	// other machines (automl search --workers 0): what is looked for there
	// (a program on PATH) is not checked here. It returns what it checked,
	// in a few words each, and errors placed at their keys (ConfigError).
	// It must not train.
	Preflight func(f *File, local bool) (checked []string, errs []error)
	// Models is true for a trainer that keeps each completed trial's model
	// and validation predictions, so the study file may ask for an
	// ensemble: of them.
	Models bool
}

var trainers = registry.New[TrainerSpec]("spacefile: trainer")

// RegisterTrainer makes a built-in trainer name valid in space files. It
// panics on a duplicate name: a programming error found at init.
func RegisterTrainer(t TrainerSpec) { trainers.Add(t, t.Name, t.Aliases...) }

// LookupTrainer returns a registered trainer by name or alias.
func LookupTrainer(name string) (*TrainerSpec, bool) { return trainers.Get(name) }

// TrainerNames lists registered trainer names and aliases, sorted.
func TrainerNames() []string { return trainers.Names() }
