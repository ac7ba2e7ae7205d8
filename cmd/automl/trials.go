package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"automl/report"
	"automl/scheduler"
	"automl/trial"
)

func newTrialsCmd() *cobra.Command {
	var db, state, columns, sortBy string
	var asJSON, pareto bool
	var top int
	cmd := &cobra.Command{
		Use:   "trials STUDY",
		Short: "List a study's trials, best first",
		Long: `List a study's trials ranked by the objective: completed trials best first,
then those still running or queued, then pruned, stopped and failed ones
with their cause (for a failure, the line of its error that names it; --json
has the whole error). A study of several objectives ranks by Pareto rank,
the front first (pareto_rank 0; --pareto shows only the front); one with
constraints puts its feasible trials first (columns feasible, violation). Once the study is over, the trials it never ran come
next; the results imported from elsewhere (automl import, warm_start:),
which never run here, come last. Works while the study runs.

--sort and --columns take the columns of automl report (see its --help):
every metric the trials reported among them, e.g. test_accuracy. With
--json and --columns, each trial is an object of those columns, typed
(duration_s in seconds, times in RFC 3339).`,
		Example: `  automl trials quickstart
  automl trials quickstart --state failed
  automl trials quickstart --json --top 5
  automl trials zdt1 --pareto --columns trial,f1,f2
  automl trials mlp --sort -test_accuracy --columns trial,val_accuracy,test_accuracy,duration`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var want trial.State
			if state != "" {
				s, err := trial.ParseState(state)
				if err != nil {
					return usagef("--state: %v (pending, running, paused, completed, failed, pruned, stopped, imported)", err)
				}
				want = s
			}
			study, rows, err := loadLeaderboard(cmd, db, args[0])
			if err != nil {
				return err
			}
			if pareto {
				if !study.Goals().Multi() {
					return usagef("--pareto: study %s has one objective (%s %s); its best trial comes first", study.Name, study.Direction, study.Metric)
				}
				rows = report.ParetoFront(rows)
			}
			if want != 0 {
				kept := rows[:0]
				for _, r := range rows {
					if r.State == want {
						kept = append(kept, r)
					}
				}
				rows = kept
			}
			if sortBy != "" {
				if err := report.SortRows(study, rows, sortBy); err != nil {
					return usageError{fmt.Errorf("--sort: %w", err)}
				}
			}
			if top > 0 && len(rows) > top {
				rows = rows[:top]
			}
			names := splitList(columns)
			if asJSON && len(names) == 0 {
				return report.WriteJSON(cmd.OutOrStdout(), study, rows, nil)
			}
			format := map[bool]string{true: "json", false: "table"}[asJSON]
			cols, err := report.SelectColumns(report.Columns(study, rows), names, format)
			if err != nil {
				return usageError{fmt.Errorf("--columns: %w", err)}
			}
			if asJSON {
				return report.WriteJSONColumns(cmd.OutOrStdout(), study, rows, names)
			}
			if len(rows) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "study %s has no trials%s\n", study.Name, map[bool]string{true: " in state " + state}[want != 0])
				return nil
			}
			return printTable(cmd.OutOrStdout(), cols, rows)
		},
	}
	addDBFlag(cmd, &db)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for programs")
	cmd.Flags().StringVar(&state, "state", "", "only trials in this state (completed, failed, pruned, running, ...)")
	cmd.Flags().BoolVar(&pareto, "pareto", false, "only the Pareto front: the feasible trials no other dominates (a study of several objectives)")
	cmd.Flags().IntVar(&top, "top", 0, "only the best K trials (after --sort: the first K)")
	cmd.Flags().StringVar(&columns, "columns", "", "comma-separated columns to show, in order (+name adds to the usual ones), e.g. trial,value,test_accuracy")
	cmd.Flags().StringVar(&sortBy, "sort", "", "comma-separated columns to sort by, - for descending, e.g. -test_accuracy")
	return cmd
}

// loadLeaderboard reads a study and ranks its trials.
func loadLeaderboard(cmd *cobra.Command, db, name string) (*scheduler.Study, []report.Row, error) {
	st, err := openReader(db)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	state, err := st.Load(cmd.Context(), name)
	if err != nil {
		return nil, nil, err
	}
	if state.Study == nil {
		return nil, nil, usageError{fmt.Errorf("no study %q in %s%s", name, db, knownStudies(cmd, st))}
	}
	return state.Study, report.Leaderboard(state.Study, state.Trials), nil
}

func knownStudies(cmd *cobra.Command, st scheduler.Reader) string {
	infos, err := st.Studies(cmd.Context())
	if err != nil || len(infos) == 0 {
		return ""
	}
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return fmt.Sprintf(" (studies there: %v)", names)
}

var errNoStudy = errors.New("no such study")
