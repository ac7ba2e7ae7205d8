package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"automl/control"
	"automl/spacefile"
	"automl/warmstart"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newImportCmd()) }
}

type importFlags struct {
	db     string
	from   []string
	strict bool
	asJSON bool
}

func newImportCmd() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import STUDY --from SOURCE...",
		Short: "Add results from another study or an export for the study's algorithm to learn from",
		Long: `Adds completed results to a study as imported trials: the algorithm learns
from them as from its own trials (GP, TPE, BOHB and ASHA's model start from
them), but they never run, never count in the trial budget, and are listed
apart (state imported) in trials, report and the dashboard.

A source is a study file, FILE.db:STUDY (or FILE.db when the file holds one
other study), whose completed trials are taken; or an export, FILE.csv or
FILE.json: what automl report --format csv|json writes, or a file written by
hand with a column (or key) per parameter and one for the objective's
metric. A result that does not fit the study's space (a value out of range,
a choice it does not have, a parameter it lacks with no default:) is
skipped, and the skips are counted by reason; --strict makes them an error.
Parameters the space does not have are left out. A result already imported
(the same file and trial or line) is not imported again.

The study must exist and not be running: stop it first (automl stop), or
let it import when it starts with warm_start: {from: [...]} in its space
file.`,
		Example: `  automl import quickstart --from earlier.db:quickstart
  automl import mlp --from results.csv --from runs/old.db:mlp-v1
  automl import mlp --from report.json --strict --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runImport(cmd, &f, args[0]) },
	}
	addDBFlag(cmd, &f.db)
	cmd.Flags().StringArrayVar(&f.from, "from", nil, "a source: FILE.db[:STUDY], FILE.csv or FILE.json (repeat for several)")
	cmd.Flags().BoolVar(&f.strict, "strict", false, "a result that does not fit the study's space is an error, not skipped")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print what was imported as JSON (for programs)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// importReport is automl import --json.
type importReport struct {
	Study      string         `json:"study"`
	Imported   int            `json:"imported"`
	IDs        []int          `json:"ids"`
	Duplicates int            `json:"already_imported"`
	Sources    []sourceResult `json:"sources"`
}

func runImport(cmd *cobra.Command, f *importFlags, study string) error {
	var srcs []spacefile.WarmSource
	for _, spec := range f.from {
		s, err := spacefile.ParseSource(spec, "")
		if err != nil {
			return usagef("--from %v", err)
		}
		srcs = append(srcs, s)
	}
	if err := existingFile(f.db); err != nil {
		return err
	}
	store, err := openStoreForImport(f.db, "import")
	if err != nil {
		return err
	}
	defer store.Close()
	ctx := cmd.Context()
	st, err := store.Load(ctx, study)
	if err != nil {
		return err
	}
	if st.Study == nil {
		return usageError{fmt.Errorf("no study %q in %s%s; create it with automl search -space FILE (warm_start: in the space file imports when it starts)", study, f.db, knownStudies(cmd, store))}
	}
	space, err := spacefile.Parse(st.Study.SpaceFile, st.Study.SpaceText)
	if err != nil {
		return fmt.Errorf("study %s: its stored space file no longer parses: %w", study, err)
	}
	t := warmstart.Target{Space: space.Space, Objective: st.Study.Objective}
	results, recs, err := readSources(ctx, srcs, t, home{db: f.db, study: study, store: store}, f.strict, nil)
	if err != nil {
		return err
	}
	line := "automl import " + study
	for _, spec := range f.from {
		line += " --from " + spec
	}
	if f.strict {
		line += " --strict"
	}
	res, err := control.Import(ctx, store, study, recs, control.Request{Op: "import", By: whoami(), Command: line}, time.Now())
	if err != nil {
		return err
	}
	rep := importReport{Study: study, Imported: len(res.IDs), IDs: res.IDs, Duplicates: res.Duplicates, Sources: results}
	if rep.IDs == nil {
		rep.IDs = []int{}
	}
	if f.asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printImport(cmd, rep)
	}
	if len(res.IDs) == 0 && res.Duplicates == 0 {
		return usageError{errors.New("nothing imported: no result of the sources fits the study (see above)")}
	}
	return nil
}

func printImport(cmd *cobra.Command, rep importReport) {
	w := cmd.OutOrStdout()
	switch n := rep.Imported; {
	case n > 0:
		fmt.Fprintf(w, "study %s: imported %d result(s) as trials %s (state imported: not run, not counted in the budget; the algorithm learns from them when the study continues)\n",
			rep.Study, n, idRange(rep.IDs))
	default:
		fmt.Fprintf(w, "study %s: imported nothing new\n", rep.Study)
	}
	if rep.Duplicates > 0 {
		fmt.Fprintf(w, "  %d result(s) were imported before, left out\n", rep.Duplicates)
	}
	for _, r := range rep.Sources {
		fmt.Fprintf(w, "  %s: %d result(s) fit the study\n", r.Source, len(r.Records))
		for _, l := range describeImport(r) {
			fmt.Fprintln(w, l)
		}
	}
}

// idRange writes consecutive ids as a range: 12-59, or 3, 5, 9.
func idRange(ids []int) string {
	if len(ids) == 0 {
		return "none"
	}
	if ids[len(ids)-1]-ids[0] == len(ids)-1 && len(ids) > 2 {
		return fmt.Sprintf("%d-%d", ids[0], ids[len(ids)-1])
	}
	return joinInts(ids)
}

// existingFile refuses a study file that does not exist (a typo of --db
// would otherwise create an empty one).
func existingFile(db string) error {
	if _, err := os.Stat(db); err != nil {
		return usagef("no study file %s (run automl search first, or pass --db)", db)
	}
	return nil
}
