package main

import (
	"path/filepath"

	"automl/report"
)

// ensembleFile is the ensemble a study file's ensemble: section builds when
// the study ends, in the study's models directory.
const ensembleFile = "ensemble.automl"

// studyModelsDir is where a study's kept models lie: <db>.models/<study>.
func studyModelsDir(db, study string) string {
	return filepath.Join(db+".models", study)
}

// studyEnsemble reads the record of the ensemble built when the study
// ended; nil when none was.
func studyEnsemble(db, study string) (*report.Ensemble, error) {
	return report.ReadEnsemble(filepath.Join(studyModelsDir(db, study), report.EnsembleFile))
}
