// Package algorithms links every search algorithm into a program: import it
// (for its side effect of registering them) where space files are parsed.
package algorithms

import (
	_ "automl/search/asha"
	_ "automl/search/auto"
	_ "automl/search/bohb"
	_ "automl/search/cmaes"
	_ "automl/search/gp"
	_ "automl/search/grid"
	_ "automl/search/hyperband"
	_ "automl/search/median"
	_ "automl/search/nsga2"
	_ "automl/search/random"
	_ "automl/search/sobol"
	_ "automl/search/tpe"
)
