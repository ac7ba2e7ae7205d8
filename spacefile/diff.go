package spacefile

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Diff says how two space files differ in what decides a study's trials
// (parameters, objective, algorithm and its seed, resource, trainer), or ""
// when they do not. Budgets and the trainer's timeouts (timeout, progress_timeout) may change between
// runs of a study; positions and comments never matter.
func Diff(a, b *File) string {
	if a.Study != b.Study {
		return fmt.Sprintf("study %q vs %q", a.Study, b.Study)
	}
	pa, pb := a.Space.Params, b.Space.Params
	if len(pa) != len(pb) {
		return fmt.Sprintf("%d parameters vs %d", len(pa), len(pb))
	}
	for i := range pa {
		if !reflect.DeepEqual(pa[i], pb[i]) {
			if pa[i].Name != pb[i].Name {
				return fmt.Sprintf("parameter %d is %q vs %q", i+1, pa[i].Name, pb[i].Name)
			}
			return fmt.Sprintf("parameter %q changed", pa[i].Name)
		}
	}
	aa, ab := a.Algorithm, b.Algorithm
	switch {
	case a.Objective != b.Objective:
		return "objective changed"
	case aa.Name != ab.Name:
		return fmt.Sprintf("algorithm %s vs %s", aa.Name, ab.Name)
	case aa.Seed != nil && ab.Seed != nil && *aa.Seed != *ab.Seed:
		return fmt.Sprintf("seed %d vs %d", *aa.Seed, *ab.Seed)
	case !reflect.DeepEqual(aa.Options, ab.Options) && len(aa.Options)+len(ab.Options) > 0:
		return "algorithm options changed"
	case a.Resource != b.Resource:
		return "resource changed"
	case a.Trainer.Plugin != b.Trainer.Plugin:
		return fmt.Sprintf("trainer %s vs %s", a.Trainer.Plugin, b.Trainer.Plugin)
	case jsonString(a.Trainer.Config) != jsonString(b.Trainer.Config):
		return "trainer config changed"
	}
	return ""
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
