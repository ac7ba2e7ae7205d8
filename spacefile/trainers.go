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
}

var trainers = registry.New[TrainerSpec]("spacefile: trainer")

// RegisterTrainer makes a built-in trainer name valid in space files. It
// panics on a duplicate name: a programming error found at init.
func RegisterTrainer(t TrainerSpec) { trainers.Add(t, t.Name, t.Aliases...) }

// LookupTrainer returns a registered trainer by name or alias.
func LookupTrainer(name string) (*TrainerSpec, bool) { return trainers.Get(name) }

// TrainerNames lists registered trainer names and aliases, sorted.
func TrainerNames() []string { return trainers.Names() }
