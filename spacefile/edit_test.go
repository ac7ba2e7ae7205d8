package spacefile_test

import (
	"strings"
	"testing"

	"automl/spacefile"
)

const editBase = `study: s
objective: {metric: loss, direction: minimize}
algorithm: {name: tpe, seed: 1}
trainer: {plugin: ./bin/trainer}
parameters:
  lr:        {type: float, low: 1.0e-4, high: 0.1, log: true}
  optimizer: {type: categorical, choices: [sgd, adam]}
  momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}
  units:     {type: int, low: 16, high: 512}
`

func mustParse(t *testing.T, text string) *spacefile.File {
	t.Helper()
	f, err := spacefile.Parse("space.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCompareSaysEachEdit: every kind of edit reads as one line per
// parameter, as automl search shows it.
func TestCompareSaysEachEdit(t *testing.T) {
	for _, c := range []struct {
		name, from, to string
		want           []string // the parameters' lines
		order, options string
		other          string
	}{
		{name: "widen", from: "high: 0.1,", to: "high: 1.0,", want: []string{"lr: high 0.1 → 1 (widened)"}},
		{name: "narrow both bounds", from: "low: 16, high: 512", to: "low: 32, high: 256", want: []string{"units: low 16 → 32 (narrowed), high 512 → 256 (narrowed)"}},
		{name: "shift", from: "low: 1.0e-4, high: 0.1", to: "low: 1.0e-5, high: 0.01", want: []string{"lr: low 0.0001 → 1e-05 (widened), high 0.1 → 0.01 (narrowed)"}},
		{name: "add a choice", from: "[sgd, adam]", to: "[sgd, adam, adamw]", want: []string{"optimizer: choices + adamw"}},
		{name: "add and remove choices", from: "[sgd, adam]", to: "[sgd, adamw, rmsprop]", want: []string{"optimizer: choices + adamw + rmsprop - adam"}},
		{name: "reorder choices", from: "[sgd, adam]", to: "[adam, sgd]", want: []string{"optimizer: choices reordered: [adam, sgd]"}},
		{name: "log", from: "low: 16, high: 512}", to: "low: 16, high: 512, log: true}", want: []string{"units: log false → true"}},
		{name: "step", from: "low: 16, high: 512}", to: "low: 16, high: 512, step: 16}", want: []string{"units: step 1 → 16"}},
		{name: "add a parameter with a default", from: "  units:", to: "  dropout:   {type: float, low: 0.0, high: 0.5, default: 0.0}\n  units:", want: []string{"dropout: added (default 0)"}},
		{name: "add a parameter without a default", from: "  units:", to: "  dropout:   {type: float, low: 0.0, high: 0.5}\n  units:", want: []string{"dropout: added"}},
		{name: "remove a parameter", from: "  momentum:  {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}\n", to: "", want: []string{"momentum: removed"}},
		{name: "a condition", from: "when: {optimizer: sgd}", to: "when: {optimizer: [sgd, adam]}", want: []string{"momentum: when {optimizer: sgd} → {optimizer: [sgd, adam]}"}},
		{name: "a default", from: "high: 0.99,", to: "high: 0.99, default: 0.9,", want: []string{"momentum: default none → 0.9"}},
		{name: "a type", from: "units:     {type: int,", to: "units:     {type: float,", want: []string{"units: type int → float: a parameter cannot change type (its earlier values would mean something else); give the new one another name and remove units"}},
		{name: "an option", from: "seed: 1}", to: "seed: 1, gamma: 0.25}", options: "algorithm options: gamma (default) → 0.25"},
		{name: "reordered", from: "  lr:        {type: float, low: 1.0e-4, high: 0.1, log: true}\n  optimizer: {type: categorical, choices: [sgd, adam]}\n",
			to: "  optimizer: {type: categorical, choices: [sgd, adam]}\n  lr:        {type: float, low: 1.0e-4, high: 0.1, log: true}\n", order: "parameters reordered: optimizer, lr, momentum, units (was lr, optimizer, momentum, units)"},
		{name: "the objective", from: "direction: minimize", to: "direction: maximize", other: "objective minimize loss → maximize loss"},
		{name: "the algorithm", from: "name: tpe", to: "name: gp", other: "algorithm tpe → gp"},
		{name: "the trainer", from: "./bin/trainer", to: "./bin/other", other: "trainer ./bin/trainer → ./bin/other"},
		{name: "nothing but the budget", from: "study: s\n", to: "study: s\nbudget: {trials: 10}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(editBase, c.from) {
				t.Fatalf("the base file lacks %q", c.from)
			}
			e := spacefile.Compare(mustParse(t, editBase), mustParse(t, strings.Replace(editBase, c.from, c.to, 1)))
			var got []string
			for _, p := range e.Params {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") || e.Order != c.order || e.Options != c.options || e.Other != c.other {
				t.Errorf("Compare:\n params %q\n order %q\n options %q\n other %q\nwant\n params %q\n order %q\n options %q\n other %q", got, e.Order, e.Options, e.Other, c.want, c.order, c.options, c.other)
			}
			if e.Empty() != (len(c.want)+len(c.order)+len(c.options)+len(c.other) == 0) {
				t.Errorf("Empty() = %v", e.Empty())
			}
			typeChange := strings.Contains(c.name, "type")
			if refused := len(e.Params) > 0 && e.Params[0].Refused != ""; refused != typeChange {
				t.Errorf("refused = %v, want %v", refused, typeChange)
			}
		})
	}
}

func TestDefaultIsParsedAsTheParametersKind(t *testing.T) {
	f := mustParse(t, strings.Replace(editBase, "  units:     {type: int, low: 16, high: 512}", "  units:     {type: int, low: 16, high: 512, default: 64.0}\n  act: {type: categorical, choices: [1, relu], default: 1.0}", 1))
	units, _ := f.Space.Param("units")
	act, _ := f.Space.Param("act")
	if units.Default.String() != "64" || act.Default.String() != "1" || act.Default.Kind() != act.Choices[0].Kind() {
		t.Errorf("defaults %v (%v), %v (%v); want the int 64 and the choice 1", units.Default, units.Default.Kind(), act.Default, act.Default.Kind())
	}
}
