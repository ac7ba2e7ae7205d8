// Package modelfiles is where a study's trained models are kept: beside
// the study file, in <db>.models/<study>/, one <trial>.automl (the model
// artifact) and one <trial>.holdout (its validation and test predictions)
// per completed trial, copied out of the trial's last checkpoint when the
// trial becomes final (backends/natsbus), pruned to the study's
// keep_models (cmd/automl). The files are opaque here: package model reads
// and writes them.
package modelfiles

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"automl/internal/studyname"
)

// The names a trainer gives the two files in its checkpoint directory
// (model.ModelFile and model.HoldoutFile).
const (
	ModelFile   = "model.automl"
	HoldoutFile = "holdout.automl"
)

// The extensions of a trial's files in the study's models directory.
const (
	ModelExt   = ".automl"
	HoldoutExt = ".holdout"
)

// Root is the models directory of the study file db: <db>.models.
func Root(db string) string { return db + ".models" }

// StudyDir is a study's directory under root: the study's name as it
// travels on the wire (studyname.Token: itself when ASCII, else "_" and
// its Punycode), so any valid name is a safe directory name.
func StudyDir(root, study string) string {
	return filepath.Join(root, studyname.Token(study))
}

// Model is the path of a trial's model file.
func Model(root, study string, id int) string {
	return filepath.Join(StudyDir(root, study), strconv.Itoa(id)+ModelExt)
}

// Holdout is the path of a trial's holdout file.
func Holdout(root, study string, id int) string {
	return filepath.Join(StudyDir(root, study), strconv.Itoa(id)+HoldoutExt)
}

// TrialOf is the trial id a file name in a study's directory stands for
// and its extension (ModelExt or HoldoutExt); false for any other name
// (a temporary file, an ensemble).
func TrialOf(name string) (id int, ext string, ok bool) {
	for _, e := range []string{ModelExt, HoldoutExt} {
		if base, found := strings.CutSuffix(name, e); found {
			n, err := strconv.Atoi(base)
			if err != nil || n < 0 || strconv.Itoa(n) != base {
				return 0, "", false
			}
			return n, e, true
		}
	}
	return 0, "", false
}

// WriteAtomic writes r to path through a temporary file in its directory
// (made when missing) renamed into place, so a reader sees the old file
// or the whole new one, never a part.
func WriteAtomic(path string, r io.Reader) error {
	tmp, err := Stage(path, r)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// Stage writes r, synced, to a temporary file beside path (its directory
// made when missing) and returns the temporary file's name: rename it to
// path to put it in place, or remove it.
func Stage(path string, r io.Reader) (tmp string, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return f.Name(), nil
}

// Remove deletes a file; one already gone is no error.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
