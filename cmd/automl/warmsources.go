package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"automl/backends/bolt"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
	"automl/warmstart"
)

// maxExportBytes bounds a CSV or JSON export read for an import.
const maxExportBytes = 1 << 30

// sourceResult is what one source gave an import.
type sourceResult struct {
	Source string
	warmstart.Result
}

// MarshalJSON is automl import --json's view of a source: how many results
// fit, and the skips.
func (r sourceResult) MarshalJSON() ([]byte, error) {
	type skip struct {
		Where  string `json:"where"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	}
	out := struct {
		Source  string   `json:"source"`
		Fit     int      `json:"fit"`
		Skipped []skip   `json:"skipped"`
		Dropped []string `json:"dropped_parameters,omitempty"`
	}{Source: r.Source, Fit: len(r.Records), Skipped: []skip{}, Dropped: r.Dropped}
	for _, s := range r.Skipped {
		out.Skipped = append(out.Skipped, skip{s.Where, s.Reason, s.Detail})
	}
	return json.Marshal(out)
}

// home is the study that imports, in the study file that is open for it
// (its other studies are read from that store, not opened again).
type home struct {
	db    string
	study string
	store scheduler.Reader
}

// readSource reads one source's results for the study t describes.
func readSource(ctx context.Context, src spacefile.WarmSource, t warmstart.Target, h home) (warmstart.Result, error) {
	abs, err := filepath.Abs(src.Path)
	if err != nil {
		return warmstart.Result{}, err
	}
	o := warmstart.Origin{Name: src.Spec, Abs: abs}
	fi, err := os.Stat(src.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return warmstart.Result{}, usagef("%s: no such file", src.Path)
	case err != nil:
		return warmstart.Result{}, usageError{err}
	case fi.IsDir():
		return warmstart.Result{}, usagef("%s: is a directory, not a study file or an export", src.Path)
	}
	if src.Export {
		if fi.Size() > maxExportBytes {
			return warmstart.Result{}, usagef("%s: %d bytes; an export read for an import is at most 1 GiB", src.Path, fi.Size())
		}
		data, err := os.ReadFile(src.Path)
		if err != nil {
			return warmstart.Result{}, usageError{err}
		}
		read := warmstart.ReadCSV
		if strings.EqualFold(filepath.Ext(src.Path), ".json") {
			read = warmstart.ReadJSON
		}
		r, err := read(t, o, data)
		if err != nil {
			return r, usageError{err}
		}
		return r, nil
	}
	st, err := loadSourceStudy(ctx, src, h)
	if err != nil {
		return warmstart.Result{}, err
	}
	o.Abs = abs
	r, err := warmstart.FromStudy(t, o, st)
	if err != nil {
		return r, usageError{err}
	}
	return r, nil
}

// loadSourceStudy loads the study a source names from its study file (the
// home store when it is the same file).
func loadSourceStudy(ctx context.Context, src spacefile.WarmSource, h home) (scheduler.StudyState, error) {
	reader := h.store
	if !sameFile(src.Path, h.db) {
		r, err := openReader(src.Path)
		if err != nil {
			return scheduler.StudyState{}, err
		}
		defer r.Close()
		reader = r
	}
	name := src.Study
	if name == "" {
		infos, err := reader.Studies(ctx)
		if err != nil {
			return scheduler.StudyState{}, err
		}
		var names []string
		for _, in := range infos {
			if !(sameFile(src.Path, h.db) && in.Name == h.study) {
				names = append(names, in.Name)
			}
		}
		if len(names) != 1 {
			return scheduler.StudyState{}, usagef("%s holds %d other studies (%s): name one, %s:STUDY", src.Path, len(names), strings.Join(names, ", "), src.Path)
		}
		name = names[0]
	}
	if sameFile(src.Path, h.db) && name == h.study {
		return scheduler.StudyState{}, usagef("%s: that is study %s itself; import from another study", src.Spec, name)
	}
	st, err := reader.Load(ctx, name)
	if err != nil {
		return st, err
	}
	if st.Study == nil {
		return st, usagef("%s: no study %q in %s%s", src.Spec, name, src.Path, studyList(ctx, reader))
	}
	return st, nil
}

func studyList(ctx context.Context, r scheduler.Reader) string {
	infos, err := r.Studies(ctx)
	if err != nil || len(infos) == 0 {
		return ""
	}
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return " (studies there: " + strings.Join(names, ", ") + ")"
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// readSources reads every source, in order; strict makes a result that
// does not fit an error. place, when set, places a source's error (at its
// entry in the space file).
func readSources(ctx context.Context, srcs []spacefile.WarmSource, t warmstart.Target, h home, strict bool, place func(i int, err error) error) ([]sourceResult, []trial.Record, error) {
	var out []sourceResult
	var recs []trial.Record
	for i, src := range srcs {
		r, err := readSource(ctx, src, t, h)
		if err == nil && strict {
			if serr := r.Strict(); serr != nil {
				err = usageError{serr}
			}
		}
		if err != nil {
			if place != nil {
				return nil, nil, place(i, err)
			}
			return nil, nil, err
		}
		out = append(out, sourceResult{Source: src.Spec, Result: r})
		recs = append(recs, r.Records...)
	}
	return out, recs, nil
}

// openStoreForImport opens the study file for writing; a study running on
// it is named in the refusal.
func openStoreForImport(db, what string) (*bolt.Store, error) {
	s, err := openStore(db, &bolt.Options{Command: "automl " + what})
	var inUse *bolt.InUseError
	if errors.As(err, &inUse) {
		return nil, usagef("%v: a study runs on it. Stop it first (automl stop STUDY%s), then run automl %s again; or import when it starts, with warm_start: in its space file", err, dbArg(db), what)
	}
	return s, err
}

// describeImport is the lines an import prints for one source.
func describeImport(r sourceResult) []string {
	lines := []string{}
	if s := r.Summary(); s != "" {
		lines = append(lines, fmt.Sprintf("  %s: skipped %d that do not fit the study: %s", r.Source, len(r.Skipped), s))
	}
	if len(r.Dropped) > 0 {
		lines = append(lines, fmt.Sprintf("  %s: parameter(s) not in the study's space, left out: %s", r.Source, strings.Join(r.Dropped, ", ")))
	}
	return lines
}

// warmStart reads the space file's warm_start: sources for automl search:
// the results to import when the study opens (scheduler.Config.Imports).
// A source the study has imported from before is not read again (the file
// may be gone since); a mistake in a source is placed at its entry in the
// space file.
func warmStart(ctx context.Context, f *spacefile.File, db string, store scheduler.Reader, log *slog.Logger) ([]trial.Record, error) {
	ws := f.WarmStart
	if len(ws.From) == 0 {
		return nil, nil
	}
	st, err := store.Load(ctx, f.Study)
	if err != nil {
		return nil, err
	}
	var todo []spacefile.WarmSource
	var place []int // each todo's index in ws.From
	for i, src := range ws.From {
		if importedFrom(st.Trials, src) {
			log.Debug("warm start: results of this source are in the study already", "source", src.Spec)
			continue
		}
		todo, place = append(todo, src), append(place, i)
	}
	t := warmstart.Target{Space: f.Space, Objective: f.Objective}
	results, recs, err := readSources(ctx, todo, t, home{db: db, study: f.Study, store: store}, ws.Strict, func(i int, err error) error {
		return usageError{f.WarmStartError(place[i], "%v", err)}
	})
	if err != nil {
		return nil, err
	}
	for _, r := range results {
		log.Info("warm start: results read", "source", r.Source, "fit", len(r.Records), "skipped", len(r.Skipped))
		for _, l := range describeImport(r) {
			log.Warn("warm start:" + l)
		}
	}
	return recs, nil
}

// importedFrom reports whether the study holds results imported from src.
func importedFrom(recs []trial.Record, src spacefile.WarmSource) bool {
	abs, err := filepath.Abs(src.Path)
	if err != nil {
		return false
	}
	prefixes := []string{abs + ":", abs + "#"}
	if !src.Export && src.Study != "" {
		prefixes = []string{abs + ":" + src.Study + "/"}
	}
	for i := range recs {
		if recs[i].State != trial.Imported {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(recs[i].Source, p) {
				return true
			}
		}
	}
	return false
}

// checkWarmStart reads a space file's warm_start: sources for automl
// validate: what each gives, or its mistake at its entry. It returns the
// number of mistakes.
func checkWarmStart(cmd *cobra.Command, f *spacefile.File) int {
	w := cmd.OutOrStdout()
	t := warmstart.Target{Space: f.Space, Objective: f.Objective}
	bad := 0
	for i, src := range f.WarmStart.From {
		r, err := readSource(cmd.Context(), src, t, home{})
		if err == nil && f.WarmStart.Strict {
			err = r.Strict()
		}
		if err != nil {
			fmt.Fprintln(w, f.WarmStartError(i, "%v", err))
			bad++
			continue
		}
		fmt.Fprintf(w, "%s: warm_start: %s: %d result(s) fit the study\n", f.Path, src.Spec, len(r.Records))
		for _, l := range describeImport(sourceResult{Source: src.Spec, Result: r}) {
			fmt.Fprintln(w, l)
		}
	}
	return bad
}
