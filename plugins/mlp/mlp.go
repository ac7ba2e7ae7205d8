// Package mlp is the `mlp` trainer, the product's pure-Go training core: it
// trains a multilayer perceptron on a CSV file (or synthetic data) with the
// trial's hyperparameters, reports per-epoch metrics, checkpoints at the
// end of each resource span, and returns validation and test metrics and
// the model's cost: params (trainable values) and inference_ms (median
// time to predict a batch of 256 rows, measured after training; the one
// metric that is not reproducible bit for bit).
//
// Configuration comes from two places. trainer.config holds the data and
// run settings (dataset, target, task, validation, test, folds, ...) and
// may fix any hyperparameter; the space's parameters may set only
// hyperparameters (learning_rate, optimizer, num_layers, units_i, ...) and
// override the config. Unknown keys and parameters are errors. The
// README's mlp section documents every key; Keys lists them with one-line
// docs.
//
// Subpackages: data (loading, splits, preprocessing, synthetic data), nn
// (layers, losses, optimisers, schedules), kernels (the float32 GEMM with
// AVX2/FMA assembly and a pure-Go fallback) and metrics.
package mlp

import "automl/spacefile"

// KeyDoc is one accepted key with its one-line documentation.
type KeyDoc struct {
	Name string
	// Param is true for hyperparameters (searchable), false for data and
	// run settings (trainer.config only).
	Param bool
	Doc   string
}

// Keys lists every config key and hyperparameter the trainer accepts.
func Keys() []KeyDoc {
	var out []KeyDoc
	for _, k := range configKeys {
		out = append(out, KeyDoc{Name: k.name, Doc: k.doc})
	}
	for _, k := range hyperKeys {
		out = append(out, KeyDoc{Name: k.name, Param: true, Doc: k.doc})
	}
	return out
}

func init() {
	spacefile.RegisterTrainer(spacefile.TrainerSpec{Name: "mlp", Check: check, Preflight: preflight, Models: true})
}
