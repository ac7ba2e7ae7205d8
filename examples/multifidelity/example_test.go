// The multi-fidelity example: its space file is valid as written and with
// each multi-fidelity algorithm, and builds a searcher for each.
package multifidelity_test

import (
	"os"
	"strings"
	"testing"

	_ "automl/plugins/mlp"
	"automl/search"
	_ "automl/search/algorithms"
	"automl/spacefile"
)

func TestSpaceWithEachAlgorithm(t *testing.T) {
	text, err := os.ReadFile("space.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..") // the data set path is relative to the repository root
	const asha = "name: asha, seed: 7, min_resource: 1, max_resource: 27, reduction_factor: 3"
	if !strings.Contains(string(text), asha) {
		t.Fatalf("space.yaml no longer has %q", asha)
	}
	for alg, opts := range map[string]string{
		"asha":      asha,
		"hyperband": "name: hyperband, seed: 7, min_resource: 1, max_resource: 27, reduction_factor: 3",
		"bohb":      "name: bohb, seed: 7, min_resource: 1, max_resource: 27, reduction_factor: 3",
		"median":    "name: median, seed: 7, max_resource: 27", // as the README says
	} {
		t.Run(alg, func(t *testing.T) {
			space, err := spacefile.Parse("space.yaml", []byte(strings.Replace(string(text), asha, opts, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if space.Algorithm.Name != alg || space.Trainer.Plugin != "mlp" || space.Resource != "epochs" {
				t.Fatalf("parsed %s with trainer %s over %s", space.Algorithm.Name, space.Trainer.Plugin, space.Resource)
			}
			if _, err := search.NewSearcher(space.Space, space.Algorithm.Settings(*space.Algorithm.Seed)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
