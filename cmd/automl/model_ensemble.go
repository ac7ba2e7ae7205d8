package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"automl/internal/modelfiles"
	"automl/model"
	"automl/model/ensemble"
	"automl/report"
	"automl/report/keep"
	"automl/scheduler"
	"automl/spacefile"
	"automl/trial"
)

// defaultEnsembleSize is automl model ensemble's --size when neither the
// flag nor the study file's ensemble: gives one.
const defaultEnsembleSize = 20

// maxEnsembleBags bounds --bags.
const maxEnsembleBags = 1000

// ensembleFile is the ensemble the study file's ensemble: builds when the
// study ends, in the study's models directory, with its record
// (report.EnsembleFile) beside it.
const ensembleFile = "ensemble.automl"

func newModelEnsembleCmd() *cobra.Command {
	var db, out, metric string
	var size, init, bags int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ensemble STUDY [--size K] [--init N] [--bags B] [-o FILE]",
		Short: "Build an ensemble of the study's kept models (greedy ensemble selection)",
		Long: `Build an ensemble of the models a study kept, by greedy ensemble selection
with replacement (Caruana et al. 2004, as auto-sklearn does): starting from
the best single model on the validation rows, each of --size rounds adds
the model (again, if it is already in) whose addition makes the averaged
prediction score best; the ensemble is the best of those rounds, so its
validation score by the selection's metric is never below the best single
model's by it (the best by that metric; scored by another, as below, it
can be). A model's weight
is how often it was added. Class probabilities are averaged for
classification, values for regression.

--init N starts from the N best models, one weight each (sorted
initialisation). --bags B repeats the selection B times, each among a
random half of the models (drawn the same way every time), and sums the
bags' weights (bagged ensemble selection, Caruana et al. 2006): it curbs
models picked for the sake of a few validation rows, at the price of the
guarantee above.

The candidates are the completed trials whose model file keep_models kept
and whose holdout predictions were validated on the same rows as the best
one's (automl model list shows them); ties go to the better-ranked trial.
The metric (--metric) defaults to the study file's ensemble.metric, else
the study's objective when the validation predictions can compute it
(accuracy, balanced_accuracy, f1, auc, log_loss, brier, rmse, mae, r2), else
log_loss for classification and rmse for regression. When no metric is
named and the objective is accuracy, balanced_accuracy or f1, which move
by whole rows, the selection runs by log_loss (the probabilities: a
smoother criterion) and the scores shown are the objective's ("selected
by log_loss, scored by accuracy"); --metric accuracy selects by accuracy.

It prints the members and their weights, and the ensemble's validation and
test scores beside the best single trial's (the leaderboard's first) by
the same metric on the same rows. The file (-o, by default
<db>.models/<study>/ensemble.automl) is a model like any other: automl
predict -m FILE and the Go API read it. Written to the default place, a
record (ensemble.json) goes beside it, which automl report shows; the
study file's ensemble: {size: K} builds the same when the study ends.`,
		Example: `  automl model ensemble mlp --size 20
  automl model ensemble mlp --size 50 -o ens.automl --metric log_loss
  automl model ensemble mlp --bags 20 --init 3
  automl model ensemble mlp --json | jq '.members'
  automl predict -m mlp.db.models/mlp/ensemble.automl data.csv -o preds.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("size") && (size < 1 || size > spacefile.MaxEnsembleSize) {
				return usagef("--size must be 1 to %d, got %d", spacefile.MaxEnsembleSize, size)
			}
			if init < 0 || bags < 0 || bags > maxEnsembleBags {
				return usagef("--init must be at least 0 and --bags 0 to %d, got --init %d --bags %d", maxEnsembleBags, init, bags)
			}
			study, rows, ms, err := loadModels(cmd, db, args[0])
			if err != nil {
				return err
			}
			asked := ensembleOf(study)
			if !cmd.Flags().Changed("size") {
				size = defaultEnsembleSize
				if asked != nil {
					size = asked.Size
				}
			}
			if metric == "" && asked != nil {
				metric = asked.Metric
			}
			record := out == ""
			if record {
				out = filepath.Join(ms.Dir, ensembleFile)
			}
			if init > size {
				return usagef("--init %d exceeds the ensemble's size %d", init, size)
			}
			rec, notes, err := buildEnsemble(study, rows, ms, ensemble.Options{Size: size, Init: init, Bags: bags}, metric, out)
			if err != nil {
				return err
			}
			if record {
				if err := writeEnsembleRecord(ms.Dir, rec); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Study string `json:"study"`
					*report.Ensemble
					Notes []string `json:"notes,omitempty"`
				}{study.Name, rec, notes})
			}
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			return printEnsemble(cmd.OutOrStdout(), study.Name, rec)
		},
	}
	addDBFlag(cmd, &db)
	fl := cmd.Flags()
	fl.IntVar(&size, "size", defaultEnsembleSize, "selection rounds: the members counted with their weights (the study file's ensemble.size when it has one)")
	fl.IntVar(&init, "init", 0, "start from the N best models, one weight each (0 or 1: the best one)")
	fl.IntVar(&bags, "bags", 0, "bagged selection: repeat it B times among random halves of the models and sum the weights (0 or 1: once among all)")
	fl.StringVarP(&out, "output", "o", "", "the ensemble file to write (default <db>.models/<study>/ensemble.automl, recorded for automl report)")
	fl.StringVar(&metric, "metric", "", "the selection metric: "+strings.Join(ensemble.Metrics(), ", ")+" (default: the objective's when computable)")
	fl.BoolVar(&asJSON, "json", false, "print the ensemble's record as JSON")
	return cmd
}

// ensembleOf is the study file's ensemble: section as stored; nil when it
// has none or its text cannot be read again.
func ensembleOf(st *scheduler.Study) *spacefile.Ensemble {
	f, err := spacefile.ParseWithoutTrainer(st.SpaceFile, st.SpaceText)
	if err != nil {
		return nil
	}
	return f.Ensemble
}

// candidate is a kept model with its holdout predictions.
type candidate struct {
	trial   int
	model   string
	holdout *model.Holdout
}

// buildEnsemble selects an ensemble among the study's kept models, writes
// it to out and returns its record; notes say which trials were left out
// and why, and which metric was taken.
func buildEnsemble(study *scheduler.Study, rows []report.Row, ms *studyModels, opt ensemble.Options, metric, out string) (*report.Ensemble, []string, error) {
	var notes []string
	var cands []candidate
	holdouts := map[int]*model.Holdout{}
	for _, m := range ms.Models {
		if m.Holdout == "" || m.State != trial.Completed.String() {
			continue
		}
		h, err := model.LoadHoldout(m.Holdout)
		if err != nil {
			notes = append(notes, fmt.Sprintf("trial %d left out: %v", m.Trial, err))
			continue
		}
		holdouts[m.Trial] = h
		if m.Model != "" {
			cands = append(cands, candidate{m.Trial, m.Model, h})
		}
	}
	if len(cands) == 0 {
		return nil, notes, fmt.Errorf("study %s has no kept model with holdout predictions in %s to build an ensemble of; %s (automl model list %s)", study.Name, ms.Dir, ms.keepText(), study.Name)
	}
	ref := cands[0].holdout
	kept := cands[:0]
	for _, c := range cands {
		if c.holdout.Val.Digest != ref.Val.Digest || c.holdout.Task != ref.Task || !slices.Equal(c.holdout.Classes, ref.Classes) {
			notes = append(notes, fmt.Sprintf("trial %d left out: validated on other rows or classes than trial %d", c.trial, cands[0].trial))
			continue
		}
		kept = append(kept, c)
	}
	cands = kept
	m, followed, err := ensemble.MetricFor(metric, study.Metric, ref)
	if err != nil {
		return nil, notes, usageError{fmt.Errorf("--metric: %w", err)}
	}
	if !followed {
		notes = append(notes, fmt.Sprintf("the objective %s cannot be computed from the validation predictions; selecting by %s", study.Metric, m.Name))
	}
	ec := make([]ensemble.Candidate, len(cands))
	hs := make([]*model.Holdout, len(cands))
	for i, c := range cands {
		ec[i], hs[i] = ensemble.FromHoldout("trial "+strconv.Itoa(c.trial), c.holdout), c.holdout
	}
	// no metric named: a metric of hard labels (accuracy) is scored, but
	// the selection runs by log loss (Metric.Smooth)
	sel := m
	if metric == "" {
		sel = m.Smooth()
	}
	res, err := ensemble.Select(ec, ensemble.Labels(ref.Val), sel, opt)
	if err != nil {
		return nil, notes, err
	}
	rec := &report.Ensemble{File: out, Metric: m.Name, Maximize: m.Maximize, Size: opt.Size, Init: opt.Init, Bags: opt.Bags, Rounds: res.Rounds, Val: res.Score, Created: time.Now().UTC()}
	if sel.Name != m.Name {
		rec.SelectedBy = sel.Name
		if v, ok := ensemble.SplitScore(m, hs, res.Weights, ensemble.Val); ok {
			rec.Val = v
		}
	}
	var members []*model.Model
	var weights []int
	for _, i := range byWeight(res.Weights) {
		mm, err := model.Load(cands[i].model)
		if err != nil {
			return nil, notes, fmt.Errorf("ensemble member trial %d: %w", cands[i].trial, err)
		}
		members, weights = append(members, mm), append(weights, res.Weights[i])
		one := make([]int, len(hs))
		one[i] = 1
		em := report.EnsembleMember{Trial: cands[i].trial, Weight: res.Weights[i]}
		em.Val, em.Test = splitScores(m, hs, one)
		rec.Members = append(rec.Members, em)
	}
	if _, rec.Test = splitScores(m, hs, res.Weights); rec.Test == nil && anyTest(hs, res.Weights) {
		notes = append(notes, "no test score: the members' test rows differ")
	}
	best, err := bestTrial(study, rows)
	if err != nil {
		return nil, notes, err
	}
	rec.Best.Trial = best
	if h := holdouts[best]; h != nil && h.Val.Digest == ref.Val.Digest {
		rec.Best.Val, rec.Best.Test = splitScores(m, []*model.Holdout{h}, []int{1})
	} else {
		notes = append(notes, fmt.Sprintf("the best trial %d has no holdout predictions on the same rows: its scores are not shown", best))
	}
	ens, err := model.NewEnsemble(members, weights)
	if err != nil {
		return nil, notes, err
	}
	if err := ens.Save(out); err != nil {
		return nil, notes, fmt.Errorf("write ensemble: %w", err)
	}
	return rec, notes, nil
}

// byWeight orders the members (positive weights) heaviest first, ties in
// candidate order.
func byWeight(w []int) []int {
	var idx []int
	for i, v := range w {
		if v > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return w[b] - w[a] })
	return idx
}

// splitScores are the validation and test scores of the weighted holdouts
// (nil where not defined).
func splitScores(m ensemble.Metric, hs []*model.Holdout, w []int) (val, test *float64) {
	if v, ok := ensemble.SplitScore(m, hs, w, ensemble.Val); ok {
		val = &v
	}
	if v, ok := ensemble.SplitScore(m, hs, w, ensemble.Test); ok {
		test = &v
	}
	return val, test
}

func anyTest(hs []*model.Holdout, w []int) bool {
	for i, h := range hs {
		if w[i] > 0 && h.Test != nil {
			return true
		}
	}
	return false
}

// writeEnsembleRecord writes the record automl report reads beside the
// ensemble in the study's models directory.
func writeEnsembleRecord(dir string, rec *report.Ensemble) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return modelfiles.WriteAtomic(filepath.Join(dir, report.EnsembleFile), strings.NewReader(string(b)+"\n"))
}

func printEnsemble(w io.Writer, study string, rec *report.Ensemble) error {
	fmt.Fprintf(w, "study %s: ensemble written to %s\n", study, rec.File)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "TRIAL\tWEIGHT\tVAL %s\tTEST %s\n", strings.ToUpper(rec.Metric), strings.ToUpper(rec.Metric))
	for _, m := range rec.Members {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", m.Trial, m.Weight, scoreText(m.Val), scoreText(m.Test))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, rec.Line())
	return err
}

func scoreText(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

// studyEnsemble reads the record of the ensemble built for the study
// (report.EnsembleFile in its models directory); nil when none was.
func studyEnsemble(db, study string) (*report.Ensemble, error) {
	return report.ReadEnsemble(filepath.Join(modelfiles.StudyDir(modelfiles.Root(db), study), report.EnsembleFile))
}

// reportEnsemble is the study's ensemble record for a report; one that
// cannot be read is left out with a warning, the report made all the same.
func reportEnsemble(cmd *cobra.Command, db, study string) *report.Ensemble {
	rec, err := studyEnsemble(db, study)
	if err != nil {
		say(cmd.ErrOrStderr(), slog.LevelWarn, "the report leaves the ensemble out: %v", err)
	}
	return rec
}

// buildStudyEnsemble builds the ensemble the study file asks for
// (ensemble:) when the study ends, with its record, in the study's models
// directory, and logs what it built or why it could not: a study's end is
// not undone by its ensemble.
func buildStudyEnsemble(ctx context.Context, st scheduler.Reader, db string, space *spacefile.File, log *slog.Logger) {
	state, err := st.Load(ctx, space.Study)
	if err != nil || state.Study == nil {
		log.Warn("no ensemble built: the study cannot be read", "study", space.Study, "err", err)
		return
	}
	rows := report.Leaderboard(state.Study, state.Trials)
	root := modelfiles.Root(db)
	ms := &studyModels{Study: space.Study, Dir: modelfiles.StudyDir(root, space.Study), Models: keep.Scan(root, state.Study, rows), KeepModels: &space.KeepModels}
	rec, notes, err := buildEnsemble(state.Study, rows, ms, ensemble.Options{Size: space.Ensemble.Size}, space.Ensemble.Metric, filepath.Join(ms.Dir, ensembleFile))
	for _, n := range notes {
		log.Info("ensemble: "+n, "study", space.Study)
	}
	if err == nil {
		err = writeEnsembleRecord(ms.Dir, rec)
	}
	if err != nil {
		log.Warn("no ensemble built", "study", space.Study, "err", err)
		return
	}
	log.Info(rec.Line(), "study", space.Study, "members", rec.Weights(), "file", rec.File)
}
