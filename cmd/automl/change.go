package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"automl/control"
)

func newBudgetCmd() *cobra.Command {
	var f controlFlags
	var trials, timeout budgetArg
	cmd := &cobra.Command{
		Use:   "budget STUDY --trials N|+N | --timeout D|+D",
		Short: "Set or raise a study's trial budget or timeout (also while it runs)",
		Long: `Set a study's trial budget (--trials N) or add to it (--trials +N); the
same for its wall-time budget (--timeout 2h, --timeout +30m). A budget below
what the study has already used is refused: the trials it already has
(failed trials count only with budget.count_failed: true), the time it has
already run.

A running study takes the change at once: a raised budget starts more
trials. A study that ended (done: its budget used) continues with the same
automl search command, which keeps the budget set here even though the
space file says otherwise, until the file's value itself changes.

` + controlHelp + `

` + natsEnvHelp,
		Example: `  automl budget quickstart --trials +50
  automl budget quickstart --trials 300 --timeout +1h
  automl budget mlp-sweep --trials +100 --nats nats://nats.internal:4222 --user scheduler`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := control.Request{Op: "budget", AddTrials: trials.add, AddTimeout: timeout.add}
			var err error
			if req.Trials, err = trials.trials("--trials"); err != nil {
				return err
			}
			if req.Timeout, err = timeout.timeout("--timeout"); err != nil {
				return err
			}
			if req.Trials == 0 && req.Timeout == 0 {
				return usagef("give --trials N (or +N to add N) or --timeout D (or +D to add D)")
			}
			req.Command = commandLine("budget", args[0], "--trials", trials.text, "--timeout", timeout.text)
			_, err = f.change(cmd, args[0], req, true)
			return err
		},
	}
	cmd.Flags().Var(&trials, "trials", "the trial budget: N, or +N to add N")
	cmd.Flags().Var(&timeout, "timeout", "the wall-time budget: D (e.g. 2h), or +D to add D")
	addControlFlags(cmd, &f)
	return cmd
}

func newEnqueueCmd() *cobra.Command {
	var f controlFlags
	var file string
	cmd := &cobra.Command{
		Use:   "enqueue STUDY -f POINTS",
		Short: "Queue configurations to run before the algorithm's own (also while the study runs)",
		Long: `Queue configurations you already trust: they run as the study's next new
trials, before any the algorithm proposes, and the algorithm's model learns
from their results like from any other trial. They count against the trial
budget; when it has no room for them, the command says by how much to
raise it (automl budget).

POINTS is a CSV file (a header row of parameter names, a configuration per
row, an empty cell for a parameter left out) or a YAML or JSON file (a list
of mappings of parameter names to values):

  lr,optimizer,layers        - {lr: 0.01, optimizer: adam}
  0.01,adam,2                - {lr: 0.003, optimizer: sgd, layers: 3}

Each configuration is checked against the study's space: an unknown
parameter, a value outside its range or choices, or one of the wrong type
is an error with the file, line (and column) and parameter; so is a
parameter left out that has no default: in the space file (one that has
takes it). Nothing is queued unless every configuration is right. The
space file itself may list configurations under enqueue:, queued when the
study is created (and, on a later run, the ones added to it since).

` + controlHelp + `

` + natsEnvHelp,
		Example: `  automl enqueue quickstart -f points.csv
  automl enqueue mlp-sweep -f trusted.yaml --db runs/automl.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usagef("give the configurations with -f FILE (CSV, YAML or JSON)")
			}
			data, err := readPoints(file)
			if err != nil {
				return err
			}
			_, err = f.change(cmd, args[0], control.Request{Op: "enqueue", File: file, Data: data, Command: commandLine("enqueue", args[0], "-f", file)}, true)
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the configurations: a .csv file, or YAML or JSON (a list of mappings)")
	addControlFlags(cmd, &f)
	return cmd
}

// maxPointsFile bounds a points file (a thousand configurations fit in
// far less).
const maxPointsFile = 1 << 20

func readPoints(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, usagef("%s: %v", path, pathErr(err))
	case fi.IsDir():
		return nil, usagef("%s is a directory, not a points file", path)
	case fi.Size() > maxPointsFile:
		return nil, usagef("%s is %d bytes; a points file holds at most 1000 configurations and 1 MiB", path, fi.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("%s: %v", path, pathErr(err))
	}
	return data, nil
}

func pathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func newRetryCmd() *cobra.Command {
	var f controlFlags
	var ids []int
	var states []string
	cmd := &cobra.Command{
		Use:   "retry STUDY [--trial N,M | --state failed|lost|stopped]",
		Short: "Rerun failed or stopped trials (after a fix), also while the study runs",
		Long: `Rerun trials that failed or were stopped, after fixing what made them fail:
each runs again as a new attempt of the same trial (same id, same
parameters), and keeps its earlier attempts (how each ended and why:
automl trials STUDY --json shows them). By default every failed trial
reruns; --trial picks trials by id, --state by how they ended: failed (all
failed trials), lost (those failed because their runs were lost, not their
code), stopped.

A rerun trial counts against the trial budget again, like any trial that
has not failed, and its failure budgets (--retries, --max-lost) start
afresh. On a running study the trials run again at once; on a stopped one
they do when automl search continues the study.

` + controlHelp + `

` + natsEnvHelp,
		Example: `  automl retry quickstart
  automl retry quickstart --trial 12,17
  automl retry mlp-sweep --state lost --nats nats://nats.internal:4222 --user scheduler`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(ids) > 0 && len(states) > 0 {
				return usagef("give --trial or --state, not both")
			}
			for _, id := range ids {
				if id < 0 {
					return usagef("--trial %d: want trial ids (numbers, as automl trials shows)", id)
				}
			}
			line := commandLine("retry", args[0], "--state", strings.Join(states, ","))
			if len(ids) > 0 {
				line = commandLine("retry", args[0], "--trial", joinInts(ids))
			}
			rep, err := f.change(cmd, args[0], control.Request{Op: "retry", IDs: ids, States: states, Command: line}, true)
			if err == nil && len(rep.Rerun) == 0 && !f.asJSON {
				return nil
			}
			return err
		},
	}
	cmd.Flags().IntSliceVar(&ids, "trial", nil, "the trials to rerun, by id (e.g. 12,17)")
	cmd.Flags().StringSliceVar(&states, "state", nil, "rerun the trials that ended so: failed, lost or stopped (default failed)")
	addControlFlags(cmd, &f)
	return cmd
}

func newHistoryCmd() *cobra.Command {
	var db string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history STUDY",
		Short: "What users changed in a study since it was created",
		Long: `List the changes made to a study since it was created, oldest first: budgets
set or raised (automl budget, automl search --trials, a changed space file),
configurations queued (automl enqueue), trials rerun (automl retry) and
stops (automl stop), each with when, who (user@host) and the command.
Works while the study runs.`,
		Example: `  automl history quickstart
  automl history quickstart --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openReader(db)
			if err != nil {
				return err
			}
			defer st.Close()
			state, err := st.Load(cmd.Context(), args[0])
			if err != nil || state.Study == nil {
				return usagef("no study %q in %s (automl studies lists them)", args[0], db)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), state.Study.History)
			}
			return printHistory(cmd.OutOrStdout(), state.Study)
		},
	}
	addDBFlag(cmd, &db)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for programs")
	return cmd
}

// commandLine is the command a history entry records: the subcommand, the
// study and the flags that say what changed (never credentials).
func commandLine(sub, study string, flagValues ...string) string {
	parts := []string{"automl", sub, study}
	for i := 0; i+1 < len(flagValues); i += 2 {
		if flagValues[i+1] != "" {
			parts = append(parts, flagValues[i], flagValues[i+1])
		}
	}
	return strings.Join(parts, " ")
}

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command {
		return append(prev(), newBudgetCmd(), newEnqueueCmd(), newRetryCmd(), newHistoryCmd())
	}
}
