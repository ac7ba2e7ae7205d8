// Package data loads and prepares the mlp trainer's tabular data: CSV and
// CSV.gz files with a header (numeric and categorical columns, missing
// values), synthetic data sets equivalent to scikit-learn's
// make_classification and make_regression, task detection from the
// target, seeded stratified train/validation/test splits and k folds, and
// preprocessing (imputation, one-hot encoding, standardisation) fitted on a
// training split only.
//
// Every mistake in a file is an *Error naming the file, and where it has
// one, the line and column; its Kind is one of the sentinel errors, for
// callers that branch.
package data
