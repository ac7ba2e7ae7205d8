package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"automl/internal/modelfiles"
	"automl/model"
)

func newPredictCmd() *cobra.Command {
	var modelPath, out, idCol string
	var proba, asJSON, ignoreExtra bool
	cmd := &cobra.Command{
		Use:   "predict -m MODEL DATA.csv[.gz]",
		Short: "Predict with a model: one prediction per row of a CSV file",
		Long: `Predict the rows of a CSV file with a model file: one a study kept
(automl model export), or an ensemble of them. A gzip-compressed file is
read as such (by its first bytes; a name ending in .gz must be one).

Columns are matched by name, in any order. Every column the model reads
must be there; a column it does not know is an error naming it (and the
file) unless --ignore-extra; the target column, and columns the trainer
dropped, are skipped. Cells are read as at training: an empty cell (or
NA, ?, null...) is a missing value, imputed as at training; a category
not seen in training is all zeros in its one-hot columns.

The output is CSV: a row column (the data row's number, 1 for the first
row after the header; or the --id column's value) then prediction (the
class label, or the value for regression), and with --proba one column
p_<class> per class with its probability. --json writes the same as one
JSON object instead. -o writes to a file (atomically); the default is
standard output.`,
		Example: `  automl predict -m model.automl data.csv
  automl predict -m model.automl data.csv.gz -o preds.csv --proba
  automl predict -m model.automl data.csv --id customer_id --json | jq '.predictions[0]'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelPath == "" {
				return usagef("predict: give the model file with -m MODEL (automl model export writes one)")
			}
			m, err := model.Load(modelPath)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return usagef("predict: no model file %s (automl model export STUDY -o %s writes one)", modelPath, modelPath)
				}
				return err
			}
			header, records, lines, err := readDataCSV(args[0])
			if err != nil {
				return err
			}
			ids, header, records, err := takeIDColumn(args[0], idCol, header, records)
			if err != nil {
				return err
			}
			p, err := m.PredictRecords(header, records, model.Options{Source: args[0], Lines: lines, IgnoreExtra: ignoreExtra})
			if err != nil {
				return err
			}
			write := func(w io.Writer) error {
				if asJSON {
					return writePredictionsJSON(w, modelPath, args[0], idCol, ids, p, proba)
				}
				return writePredictionsCSV(w, idCol, ids, p, proba)
			}
			if out == "" {
				bw := bufio.NewWriter(cmd.OutOrStdout())
				if err := write(bw); err != nil {
					return err
				}
				return bw.Flush()
			}
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				return err
			}
			if err := modelfiles.WriteAtomic(out, &buf); err != nil {
				return fmt.Errorf("predict: %w", err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&modelPath, "model", "m", "", "the model file (required)")
	fl.StringVarP(&out, "output", "o", "", "write the predictions to this file (default: standard output)")
	fl.BoolVar(&proba, "proba", false, "add one column p_<class> per class with its probability (classification)")
	fl.BoolVar(&asJSON, "json", false, "write JSON instead of CSV")
	fl.StringVar(&idCol, "id", "", "a column of the data that names each row: written instead of the row number, not given to the model")
	fl.BoolVar(&ignoreExtra, "ignore-extra", false, "skip columns the model does not know instead of refusing them")
	return cmd
}

// readDataCSV reads a CSV file, gzip-compressed or not, whole: its header,
// its records and each record's line in the file.
func readDataCSV(path string) (header []string, records [][]string, lines []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil, usagef("predict: no data file %s", path)
		}
		return nil, nil, nil, fmt.Errorf("predict: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: not a gzip file: %w", path, err)
		}
		defer zr.Close()
		r = zr
	} else if strings.HasSuffix(path, ".gz") {
		return nil, nil, nil, fmt.Errorf("%s: ends in .gz but is not gzip-compressed", path)
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // the model names a ragged row by its line
	header, err = cr.Read()
	if err == io.EOF {
		return nil, nil, nil, fmt.Errorf("%s: empty file: want a header line of column names", path)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		records, lines = append(records, rec), append(lines, line)
	}
	if len(records) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no rows after the header", path)
	}
	return header, records, lines, nil
}

// takeIDColumn takes the --id column out of the data: its values, and
// the header and records without it.
func takeIDColumn(path, name string, header []string, records [][]string) ([]string, []string, [][]string, error) {
	if name == "" {
		return nil, header, records, nil
	}
	at := -1
	for i, h := range header {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == name {
			at = i
		}
	}
	if at < 0 {
		return nil, nil, nil, usagef("--id %s: %s has no column %q; its columns are %s", name, path, name, strings.Join(header, ", "))
	}
	ids := make([]string, len(records))
	rest := make([][]string, len(records))
	for i, rec := range records {
		if at < len(rec) {
			ids[i] = rec[at]
			rest[i] = append(append(make([]string, 0, len(rec)-1), rec[:at]...), rec[at+1:]...)
		} else {
			rest[i] = rec
		}
	}
	h := append(append(make([]string, 0, len(header)-1), header[:at]...), header[at+1:]...)
	return ids, h, rest, nil
}

func rowName(ids []string, i int) string {
	if ids != nil {
		return ids[i]
	}
	return strconv.Itoa(i + 1)
}

func writePredictionsCSV(w io.Writer, idCol string, ids []string, p *model.Predictions, proba bool) error {
	cw := csv.NewWriter(w)
	head := []string{"row", "prediction"}
	if idCol != "" {
		head[0] = idCol
	}
	if proba {
		for _, c := range p.Classes {
			head = append(head, "p_"+c)
		}
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(head))
	for i := range p.Len() {
		rec[0], rec[1] = rowName(ids, i), p.Label(i)
		if proba {
			for j, x := range p.Probabilities(i) {
				rec[2+j] = strconv.FormatFloat(x, 'g', 8, 64)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// jsonPrediction is one row of predict --json.
type jsonPrediction struct {
	Row        string             `json:"row"`
	Prediction any                `json:"prediction"`
	Proba      map[string]float64 `json:"proba,omitempty"`
}

func writePredictionsJSON(w io.Writer, modelPath, data, idCol string, ids []string, p *model.Predictions, proba bool) error {
	preds := make([]jsonPrediction, p.Len())
	for i := range preds {
		preds[i] = jsonPrediction{Row: rowName(ids, i), Prediction: p.Label(i)}
		if p.Classes == nil {
			preds[i].Prediction = p.Value[i]
		} else if proba {
			preds[i].Proba = map[string]float64{}
			for j, x := range p.Probabilities(i) {
				preds[i].Proba[p.Classes[j]] = x
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"model": modelPath, "data": data, "rows": p.Len(), "id": idCol, "classes": p.Classes, "predictions": preds,
	})
}
