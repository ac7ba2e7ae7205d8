package spacefile_test

import (
	"fmt"

	"automl/search/value"
	"automl/spacefile"
)

// Parse a space file, then map a point of the unit cube to a configuration:
// every sampler works on such vectors and never on parameter types.
func Example() {
	f, err := spacefile.Parse("space.yaml", []byte(`
objective: {metric: val_loss, direction: minimize}
trainer: {plugin: ./my-trainer}
parameters:
  lr:        {type: float, low: 1.0e-4, high: 1.0e-1, log: true}
  optimizer: {type: categorical, choices: [sgd, momentum, adam]}
  momentum:  {type: float, low: 0.5, high: 0.9, when: {optimizer: momentum}}
  layers:    {type: int, low: 1, high: 4}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("study:", f.Study, "objective:", f.Objective.Metric, f.Objective.Direction)
	space := f.Space
	for _, p := range space.Params {
		fmt.Println(p.Name, p.Type, len(p.When) > 0)
	}

	// lr halfway in log space, the second of three choices, a quarter of
	// the way from 0.5 to 0.9, and the last of four cells.
	point := space.Decode([]float64{0.5, 0.5, 0.25, 0.9})
	printValues(space.Values(point))

	// With another optimizer, momentum is inactive and left out.
	point = space.Decode([]float64{0.5, 0.9, 0.25, 0})
	printValues(space.Values(point))
	// Output:
	// study: space objective: val_loss minimize
	// lr float false
	// optimizer categorical false
	// momentum float true
	// layers int false
	// lr=0.003162 optimizer=momentum momentum=0.6 layers=4
	// lr=0.003162 optimizer=adam layers=1
}

// printValues prints floats to 4 digits, so the output does not depend on
// the last bits of math.Exp on one machine or another.
func printValues(vs value.Values) {
	for i, nv := range vs {
		if i > 0 {
			fmt.Print(" ")
		}
		if x, ok := nv.Value.Float(); ok && nv.Value.Kind() == value.FloatValue {
			fmt.Printf("%s=%.4g", nv.Name, x)
		} else {
			fmt.Printf("%s=%v", nv.Name, nv.Value)
		}
	}
	fmt.Println()
}

// Every mistake in a file is reported, in file order, with file:line:column.
func ExampleParse_errors() {
	_, err := spacefile.Parse("space.yaml", []byte(`
objective: {metric: val_loss, direction: minimise}
trainer: {plugin: ./my-trainer}
parameters:
  lr:      {type: float, low: 0, high: 0.1, log: true}
  layers:  {type: int, low: 1, high: 4, setp: 1}
  dropout: {type: float, low: 0.5, high: 0.1}
`))
	fmt.Println(err)
	// Output:
	// space.yaml:2:42: objective.direction: must be minimize or maximize, got "minimise" (did you mean "minimize"?)
	// space.yaml:5:31: parameter "lr": log scale needs low > 0, got 0
	// space.yaml:6:41: parameter "layers": unknown key "setp" (did you mean "step"?); allowed: type, low, high, log, step, choices, grid, points, when, default
	// space.yaml:7:31: parameter "dropout": low must be below high, got low 0.5 >= high 0.1
}
