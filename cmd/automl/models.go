package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"automl/internal/modelfiles"
	"automl/model"
	"automl/report"
	"automl/report/keep"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newModelCmd(), newPredictCmd()) }
}

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "List, export and ensemble the models a study kept",
		Long: `A trainer that saves its model (the mlp trainer) leaves one with each
completed trial. When a trial ends, its model file and its holdout
predictions are copied out of its checkpoints into the models directory
beside the study file, <db>.models/<study>/<trial>.automl and
<trial>.holdout, on the embedded default and on a fleet alike (the
scheduler writes them). The study file's keep_models (default 5, or all)
says how many model files stay: those of the best K completed trials by
the leaderboard's ranking; the others are deleted as the study goes.
Holdout files stay for every completed trial. automl model ensemble builds
an ensemble of the kept models from their holdout predictions.`,
		Example: `  automl model list mlp
  automl model export mlp --best -o model.automl
  automl model ensemble mlp --size 20
  automl predict -m model.automl data.csv -o preds.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("model: name a subcommand: list, export or ensemble (automl model --help)")
		},
	}
	cmd.AddCommand(newModelListCmd(), newModelExportCmd(), newModelEnsembleCmd())
	return cmd
}

// studyModels is what automl model list shows.
type studyModels struct {
	Study string `json:"study"`
	Dir   string `json:"dir"`
	// KeepModels is the study's keep_models (-1: all); absent when its
	// space file could not be read again.
	KeepModels *int         `json:"keep_models,omitempty"`
	Models     []keep.Entry `json:"models"`
	objectives []trial.Objective
}

// kept is the trials whose model file is there, in rank order.
func (s *studyModels) kept() []int {
	var ids []int
	for _, m := range s.Models {
		if m.Model != "" {
			ids = append(ids, m.Trial)
		}
	}
	return ids
}

func (s *studyModels) find(id int) *keep.Entry {
	for i := range s.Models {
		if s.Models[i].Trial == id {
			return &s.Models[i]
		}
	}
	return nil
}

// keepText says what keep_models keeps, for messages.
func (s *studyModels) keepText() string {
	if s.KeepModels == nil {
		return "keep_models (default 5) keeps the best completed trials' models"
	}
	return keep.Text(*s.KeepModels)
}

// loadModels reads a study and its models directory: every trial with a
// model or holdout file, in the leaderboard's order.
func loadModels(cmd *cobra.Command, db, name string) (*scheduler.Study, []report.Row, *studyModels, error) {
	study, rows, err := loadLeaderboard(cmd, db, name)
	if err != nil {
		return nil, nil, nil, err
	}
	root := modelfiles.Root(db)
	out := &studyModels{Study: study.Name, Dir: modelfiles.StudyDir(root, study.Name), Models: keep.Scan(root, study, rows), objectives: study.Goals().Objectives}
	if k, ok := keep.Of(study); ok {
		out.KeepModels = &k
	}
	return study, rows, out, nil
}

func newModelListCmd() *cobra.Command {
	var db string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list STUDY",
		Short: "List the trials whose model or holdout predictions the study kept",
		Long: `List the trials of a study that have files in its models directory
(<db>.models/<study>/), best first: rank, trial, state, the objective's
value, the model file's size (or "-" where keep_models deleted it) and the
holdout file's size. The first line says where the files are and what
keep_models keeps. Works while the study runs.`,
		Example: `  automl model list mlp
  automl model list mlp --db runs/exp1.db
  automl model list mlp --json | jq '.models[] | select(.model) | .trial'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, _, ms, err := loadModels(cmd, db, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(ms)
			}
			return printModels(cmd.OutOrStdout(), ms)
		},
	}
	addDBFlag(cmd, &db)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for programs")
	return cmd
}

func printModels(w io.Writer, ms *studyModels) error {
	fmt.Fprintf(w, "study %s: %d model file(s) in %s; %s\n", ms.Study, len(ms.kept()), ms.Dir, ms.keepText())
	if len(ms.Models) == 0 {
		fmt.Fprintln(w, "no model kept yet: models come from completed trials of a trainer that saves them (the mlp trainer)")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := []string{"RANK", "TRIAL", "STATE"}
	for _, o := range ms.objectives {
		head = append(head, strings.ToUpper(o.Metric))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "MODEL", "HOLDOUT"), "\t"))
	for _, m := range ms.Models {
		cells := []string{dash(m.Rank), strconv.Itoa(m.Trial), m.State}
		for _, o := range ms.objectives {
			v, ok := m.Values[o.Metric]
			cells = append(cells, map[bool]string{true: strconv.FormatFloat(v, 'g', 6, 64), false: "-"}[ok])
		}
		model, holdout := "-", "-"
		if m.Model != "" {
			model = sizeText(m.ModelBytes)
		}
		if m.Holdout != "" {
			holdout = sizeText(m.HoldoutBytes)
		}
		fmt.Fprintln(tw, strings.Join(append(cells, model, holdout), "\t"))
	}
	return tw.Flush()
}

func dash(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// sizeText is a file size for people: 812 B, 14.2 KiB, 3.1 MiB.
func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// exportONNX writes a model as an ONNX graph (package model/onnx, wired
// in by its own file); nil while this binary has no ONNX export.
var exportONNX func(m *model.Model, w io.Writer) error

func newModelExportCmd() *cobra.Command {
	var db, out, format string
	var id int
	var best, asJSON bool
	cmd := &cobra.Command{
		Use:   "export STUDY [--trial N | --best] -o FILE",
		Short: "Write a trial's model to a file, to predict with",
		Long: `Write the model a trial of the study kept to FILE: the best completed trial
(--best, the default: the leaderboard's first) or trial N (--trial N).
Only trials whose model file keep_models kept have one (automl model list
shows them); asking for another is an error that says what is kept.

--format automl (the default) writes the model file as it is, checked
first; automl predict -m FILE and the Go API (package model) read it.
--format onnx writes an ONNX graph of it.`,
		Example: `  automl model export mlp --best -o model.automl
  automl model export mlp --trial 12 -o trial12.automl
  automl model export mlp -o model.onnx --format onnx
  automl model export mlp --db runs/exp1.db -o model.automl --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given := cmd.Flags().Changed
			switch {
			case out == "":
				return usagef("export: give the file to write with -o FILE")
			case given("trial") && best:
				return usagef("export: give --trial N or --best, not both")
			case given("trial") && id < 0:
				return usagef("--trial must be >= 0, got %d", id)
			case format != "automl" && format != "onnx":
				return usagef("--format %q: want automl or onnx", format)
			case format == "onnx" && exportONNX == nil:
				return usagef("--format onnx: this automl has no ONNX export; use --format automl")
			}
			study, rows, ms, err := loadModels(cmd, db, args[0])
			if err != nil {
				return err
			}
			if !given("trial") {
				if id, err = bestTrial(study, rows); err != nil {
					return err
				}
			}
			m := ms.find(id)
			if m == nil || m.Model == "" {
				return noModelError(ms, study, rows, id)
			}
			n, err := exportModel(m.Model, out, format)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
					"study": study.Name, "trial": id, "format": format, "path": out, "bytes": n, "from": m.Model,
				})
			}
			what := map[string]string{"automl": "model", "onnx": "model as ONNX"}[format]
			fmt.Fprintf(cmd.OutOrStdout(), "trial %d of study %s: its %s written to %s (%s)\n", id, study.Name, what, out, sizeText(n))
			return nil
		},
	}
	addDBFlag(cmd, &db)
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "the file to write (required)")
	fl.IntVar(&id, "trial", 0, "the trial whose model to write")
	fl.BoolVar(&best, "best", false, "the best completed trial's model (the default)")
	fl.StringVar(&format, "format", "automl", "automl (the model file) or onnx")
	fl.BoolVar(&asJSON, "json", false, "print what was written as JSON")
	return cmd
}

// bestTrial is the leaderboard's first completed trial.
func bestTrial(study *scheduler.Study, rows []report.Row) (int, error) {
	for _, r := range rows {
		if r.State == trial.Completed {
			return r.ID, nil
		}
	}
	return 0, fmt.Errorf("study %s has no completed trial, so no model", study.Name)
}

// noModelError says why trial id has no model file, and which are kept.
func noModelError(ms *studyModels, study *scheduler.Study, rows []report.Row, id int) error {
	i := slices.IndexFunc(rows, func(r report.Row) bool { return r.ID == id })
	if i < 0 {
		return fmt.Errorf("study %s has no trial %d", study.Name, id)
	}
	why := fmt.Sprintf("it is %s; only completed trials keep a model", rows[i].State)
	if rows[i].State == trial.Completed {
		why = fmt.Sprintf("it ranks %d, and %s", rows[i].Rank, ms.keepText())
	}
	what := "no trial's model is kept"
	if kept := ms.kept(); len(kept) > 0 {
		strs := make([]string, len(kept))
		for i, k := range kept {
			strs[i] = strconv.Itoa(k)
		}
		what = "kept: trials " + strings.Join(strs, ", ")
		if len(kept) == 1 {
			what = "kept: trial " + strs[0]
		}
	}
	return fmt.Errorf("trial %d of study %s has no model file in %s: %s; %s (automl model list %s)", id, study.Name, ms.Dir, why, what, study.Name)
}

// exportModel writes the model file src to dst in format, atomically,
// once it has been read back whole (package model checks its checksum
// and shapes).
func exportModel(src, dst, format string) (int64, error) {
	m, err := model.Load(src)
	if err != nil {
		return 0, fmt.Errorf("the kept model cannot be read: %w", err)
	}
	var buf bytes.Buffer
	switch format {
	case "onnx":
		err = exportONNX(m, &buf)
	default:
		err = m.Write(&buf)
	}
	if err != nil {
		return 0, fmt.Errorf("export %s as %s: %w", src, format, err)
	}
	n := int64(buf.Len())
	if err := modelfiles.WriteAtomic(dst, &buf); err != nil {
		return 0, fmt.Errorf("export to %s: %w", dst, err)
	}
	return n, nil
}

// keepEvery spaces the prunes while a study runs: each reads the whole
// study to rank it (about 30 ms for 1,000 trials and 0.4 to 0.5 s for
// 10,000 on the report fixture, on 2 shared cores: BenchmarkKeepPrune),
// and a model file left a little longer costs only disk.
const keepEvery = 5 * time.Second

// modelKeeper applies keep_models to a running study's models: after a
// harvest, at most every keepEvery, and when the search ends (apply).
type modelKeeper struct {
	st    scheduler.Reader
	db    string
	space *spacefile.File
	log   *slog.Logger
	last  time.Time
}

// harvested is the dispatcher's hook (natsbus.DispatcherOptions.Harvested):
// it runs on the scheduler's goroutine.
func (k *modelKeeper) harvested(ctx context.Context) {
	if time.Since(k.last) < keepEvery {
		return
	}
	k.apply(ctx)
}

// apply prunes the study's model files to the space file's keep_models,
// logging what it deleted; best effort, as the harvest is.
func (k *modelKeeper) apply(ctx context.Context) {
	k.last = time.Now()
	deleted, err := keep.Prune(ctx, k.st, modelfiles.Root(k.db), k.space.Study, k.space.KeepModels)
	if err != nil {
		k.log.Warn("model files not pruned to keep_models", "keep_models", k.space.KeepModels, "err", err)
	}
	if len(deleted) > 0 {
		k.log.Debug("model files deleted: not among the best trials (keep_models)", "keep_models", k.space.KeepModels, "trials", deleted)
	}
}
