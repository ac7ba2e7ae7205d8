package search_test

import (
	"fmt"

	"automl/search"
	"automl/search/value"
)

// A space made in code (a space file's parser makes the same from YAML):
// every sampler works on unit-cube vectors, and Decode maps one to a
// configuration, leaving inactive parameters out.
func ExampleNewSpace() {
	space, err := search.NewSpace([]search.Param{
		{Name: "optimizer", Type: search.CategoricalParam, Choices: []value.Value{value.String("sgd"), value.String("momentum")}},
		{Name: "momentum", Type: search.FloatParam, Low: 0.5, High: 0.9,
			When: []search.Condition{{Parent: "optimizer", Values: []value.Value{value.String("momentum")}}}},
		{Name: "layers", Type: search.IntParam, Low: 1, High: 4, Step: 1},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(space.Values(space.Decode([]float64{0.9, 0.25, 0.9})))
	fmt.Println(space.Values(space.Decode([]float64{0.1, 0.25, 0})))

	_, err = search.NewSpace([]search.Param{
		{Name: "momentum", Type: search.FloatParam, Low: 0.5, High: 0.9,
			When: []search.Condition{{Parent: "optimiser", Values: []value.Value{value.String("momentum")}}}},
		{Name: "optimizer", Type: search.CategoricalParam, Choices: []value.Value{value.String("momentum")}},
	})
	fmt.Println(err)
	// Output:
	// [{optimizer momentum} {momentum 0.6} {layers 4}]
	// [{optimizer sgd} {layers 1}]
	// parameter "momentum": when: names parameter "optimiser", which is not defined (did you mean "optimizer"?)
}
