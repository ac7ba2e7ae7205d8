// Package model is a trained model of the mlp trainer as a file, and
// prediction from it: the answer a study gives.
//
// The trainer writes, at the end of every completed span of a trial, a
// model file (ModelFile, "model.automl") and a holdout file (HoldoutFile,
// "holdout.automl") into the trial's checkpoint directory. The model file
// holds everything prediction needs: the input columns with their types
// and category levels, the fitted preprocessing of each fold (imputation
// values, one-hot offsets, standardisation), the network of each fold
// (dense layers with batch normalisation folded in), the regression
// target's scaling, the classes, and for reference the study, trial,
// hyperparameters and final metrics. The holdout file holds the model's
// predictions on the validation rows (out-of-fold with k folds) and test
// rows with the true labels, for building ensembles.
//
// Load (or Read) a model and call Predict with rows by column name, or
// PredictRecords with a CSV header and records. Missing cells (the tokens
// the trainer read as missing) are imputed as at training; a category not
// seen in training is encoded as all zeros, as a level absent from the
// training rows was. A k-fold model averages its folds' probabilities (or
// values); an ensemble (NewEnsemble) averages its members' by their
// integer weights, and predicts like any model.
//
// Files are versioned and checksummed: a magic line, a little-endian uint32
// format version, a gob-encoded body and the SHA-256 of the body. A torn,
// corrupt or other-version file is refused with an error naming the file
// and wrapping ErrFormat.
package model
