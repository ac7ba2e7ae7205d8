package search

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// Diff says how two spaces differ in what decides a study's trials
// (parameters, objective, algorithm and its seed, resource, trainer), or ""
// when they do not. Budgets and the trainer's timeout may change between
// runs of a study; positions and comments never matter.
func Diff(a, b *Space) string {
	if a.Study != b.Study {
		return fmt.Sprintf("study %q vs %q", a.Study, b.Study)
	}
	if len(a.Params) != len(b.Params) {
		return fmt.Sprintf("%d parameters vs %d", len(a.Params), len(b.Params))
	}
	for i := range a.Params {
		pa, pb := a.Params[i], b.Params[i]
		pa.Pos, pb.Pos = Pos{}, Pos{}
		pa.When, pb.When = stripPos(pa.When), stripPos(pb.When)
		if !reflect.DeepEqual(pa, pb) {
			if pa.Name != pb.Name {
				return fmt.Sprintf("parameter %d is %q vs %q", i+1, pa.Name, pb.Name)
			}
			return fmt.Sprintf("parameter %q changed", pa.Name)
		}
	}
	switch {
	case a.Objective != b.Objective:
		return "objective changed"
	case a.Algorithm.Name != b.Algorithm.Name:
		return fmt.Sprintf("algorithm %s vs %s", a.Algorithm.Name, b.Algorithm.Name)
	case a.Algorithm.HasSeed && b.Algorithm.HasSeed && a.Algorithm.Seed != b.Algorithm.Seed:
		return fmt.Sprintf("seed %d vs %d", a.Algorithm.Seed, b.Algorithm.Seed)
	case !reflect.DeepEqual(a.Algorithm.Options, b.Algorithm.Options) && len(a.Algorithm.Options)+len(b.Algorithm.Options) > 0:
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

func stripPos(cs []Condition) []Condition {
	out := make([]Condition, len(cs))
	for i, c := range cs {
		c.Pos = Pos{}
		out[i] = c
	}
	return out
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
