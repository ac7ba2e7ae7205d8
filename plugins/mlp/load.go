package mlp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// tableCache keeps the last few loaded tables, so a plugin process that
// runs many trials of one study parses its CSV once. Tables are immutable
// after loading and shared between concurrent trials.
var tableCache = struct {
	sync.Mutex
	keys   []string
	tables map[string]*data.Table
}{tables: map[string]*data.Table{}}

const tableCacheSize = 4

func loadTable(c *Config) (*data.Table, error) {
	opts := data.LoadOptions{Missing: c.Missing, Categorical: c.Categorical, Drop: c.Drop}
	key := c.Dataset
	if !data.IsSynthetic(c.Dataset) {
		abs, err := filepath.Abs(c.Dataset)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", c.Dataset, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			// Load reports a missing file clearly.
			return data.Load(c.Dataset, opts)
		}
		key = fmt.Sprintf("%s|%d|%d", abs, st.Size(), st.ModTime().UnixNano())
	}
	key += fmt.Sprintf("|%q|%q|%q", opts.Missing, opts.Categorical, opts.Drop)
	tableCache.Lock()
	t, ok := tableCache.tables[key]
	tableCache.Unlock()
	if ok {
		return t, nil
	}
	t, err := readTable(c)
	if err != nil {
		return nil, err
	}
	tableCache.Lock()
	defer tableCache.Unlock()
	if _, ok := tableCache.tables[key]; !ok {
		tableCache.keys = append(tableCache.keys, key)
		tableCache.tables[key] = t
		if len(tableCache.keys) > tableCacheSize {
			delete(tableCache.tables, tableCache.keys[0])
			tableCache.keys = tableCache.keys[1:]
		}
	}
	return t, nil
}

// readTable reads the data set, past the cache.
func readTable(c *Config) (*data.Table, error) {
	if data.IsSynthetic(c.Dataset) {
		return data.Synthetic(c.Dataset)
	}
	return data.Load(c.Dataset, data.LoadOptions{Missing: c.Missing, Categorical: c.Categorical, Drop: c.Drop})
}

// loadDataset loads the table and decodes its target.
func loadDataset(c *Config) (*data.Dataset, error) {
	t, err := loadTable(c)
	if err != nil {
		return nil, err
	}
	return data.Prepare(t, c.Target, c.Task, c.ForceClass)
}

// dataID identifies the data a model trains on: the content, the target
// and task, the split and the preprocessing. A checkpoint made on other
// data must not be resumed.
func dataID(c *Config, ds *data.Dataset) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%v|%v|%v|%v|%d|%d|%q|%q|%q|%q|%s|%v|%v",
		ds.Digest, c.Target, ds.Task, len(ds.Classes), c.Validation, c.Test, c.Folds, c.SplitSeed, c.SplitColumn,
		c.Missing, c.Categorical, c.Drop, c.Impute, c.Indicator, c.Standardize)
	return hex.EncodeToString(h.Sum(nil))
}

// splitRows divides the rows as the config says: by its split column, or
// by the validation and test fractions (or folds) with the split seed.
func splitRows(c *Config, ds *data.Dataset) (data.Splits, error) {
	if c.SplitColumn != "" {
		return data.SplitByColumn(ds, c.SplitColumn)
	}
	return data.Split(ds, data.SplitOptions{Validation: c.Validation, Test: c.Test, Folds: c.Folds, Seed: c.SplitSeed})
}

// preparedFold is one fold's encoded matrices.
type preparedFold struct {
	width       int
	train       split
	val, test   *split
	yMean, yStd float64
	// pre is the fitted preprocessing and valRows, testRows the table
	// rows of val and test, for the model and holdout files (export.go).
	pre               *data.Preprocessor
	valRows, testRows []int
}

// prepare splits the rows and encodes each fold, fitting the
// preprocessing on that fold's training rows.
func prepare(c *Config, ds *data.Dataset) ([]preparedFold, error) {
	sp, err := splitRows(c, ds)
	if err != nil {
		return nil, err
	}
	var out []preparedFold
	for _, f := range sp.Folds {
		pre, err := data.Fit(ds, f.Train, data.PrepOptions{Impute: c.Impute, Indicator: c.Indicator, Standardize: c.Standardize})
		if err != nil {
			return nil, err
		}
		pf := preparedFold{width: pre.Width, yMean: 0, yStd: 1}
		pf.pre, pf.valRows, pf.testRows = pre, f.Val, sp.Test
		if ds.Task == data.Regression {
			var s, ss float64
			for _, r := range f.Train {
				s += float64(ds.Y[r])
			}
			pf.yMean = s / float64(len(f.Train))
			for _, r := range f.Train {
				d := float64(ds.Y[r]) - pf.yMean
				ss += d * d
			}
			if sd := math.Sqrt(ss / float64(len(f.Train))); sd > 0 {
				pf.yStd = sd
			}
		}
		enc := func(rows []int) split {
			sp := split{x: &nn.Mat{R: len(rows), C: pre.Width, D: pre.Transform(ds, rows)}, y: make([]float32, len(rows))}
			if ds.Task == data.Regression {
				sp.orig = make([]float64, len(rows))
			}
			for i, r := range rows {
				v := ds.Y[r]
				if ds.Task == data.Regression {
					sp.orig[i] = float64(v)
					v = float32((float64(v) - pf.yMean) / pf.yStd)
				}
				sp.y[i] = v
			}
			return sp
		}
		pf.train = enc(f.Train)
		if len(f.Val) > 0 {
			v := enc(f.Val)
			pf.val = &v
		}
		if len(sp.Test) > 0 {
			t := enc(sp.Test)
			pf.test = &t
		}
		out = append(out, pf)
	}
	return out, nil
}
