package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"automl/report/keep"
	"automl/spacefile"
)

func newValidateCmd() *cobra.Command {
	var spaces []string
	var fleet bool
	cmd := &cobra.Command{
		Use:   "validate -space FILE [FILE...]",
		Short: "Check space files and print every mistake found",
		Long: `Check space files without running a trial. Every mistake is printed with
file:line:column, the parameter or key, and what would be right.

Beyond the file itself it checks what every trial would otherwise fail on,
as automl search does before its first trial: a plugin binary is started,
completes the handshake and is ended (a missing binary, or one that is not
an automl plugin, is refused); the mlp trainer's data set is read in full
with the study's settings (every row, the target's classes, the split
sizes); the exec trainer's program is found on PATH (or in its workdir),
with its script. With --fleet the trials run on other machines (automl
worker), so the program and plugin binary are not looked for here.

For the mlp trainer, which keeps each completed trial's model, it says
how many models the study keeps (keep_models: K or all, default 5), and
the ensemble it builds of them when it ends (ensemble: {size: K}).

The exit status is 0 when every file is valid and 2 otherwise.`,
		Example: `  automl validate -space space.yaml
  automl validate examples/*/space.yaml
  automl validate -space space.yaml --fleet   # the trainer lives on the workers`,
		RunE: func(cmd *cobra.Command, args []string) error {
			files := append(spaces, args...)
			if len(files) == 0 {
				return usagef("validate: name a space file with -space FILE")
			}
			out := cmd.OutOrStdout()
			bad := 0
			for _, f := range files {
				s, err := spacefile.ParseFile(f)
				if err == nil {
					var checked []string
					checked, err = preflight(s, !fleet)
					if err == nil {
						fmt.Fprintf(out, "%s: ok: study %q, %d parameters, algorithm %s, trainer %s, %s\n",
							f, s.Study, s.Space.Dim(), s.Algorithm.Name, s.Trainer.Plugin, goalsText(s))
						for _, c := range checked {
							fmt.Fprintf(out, "  checked: %s\n", c)
						}
						if s.Trainer.Plugin == "mlp" {
							fmt.Fprintf(out, "  models: %s\n", keep.Text(s.KeepModels))
						}
						if e := s.Ensemble; e != nil {
							by := "the objective's metric when the holdout predictions can compute it (log_loss for accuracy, balanced_accuracy and f1, scored by the objective), else log_loss or rmse"
							if e.Metric != "" {
								by = e.Metric
							}
							fmt.Fprintf(out, "  ensemble: when the study ends, %d rounds of greedy selection among the kept models, by %s (automl model ensemble --help)\n", e.Size, by)
						}
						if w := s.BudgetWarning(); w != nil {
							fmt.Fprintln(out, w)
						}
						bad += checkWarmStart(cmd, s)
						continue
					}
				}
				bad += printSpaceErrors(out, err)
			}
			if bad > 0 {
				return usagef("%d mistake(s) found", bad)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&spaces, "space", nil, "space file to check (repeatable)")
	cmd.Flags().BoolVar(&fleet, "fleet", false, "the trials run on other machines: do not look for the trainer's program or plugin binary here")
	return cmd
}

// goalsText names every objective and constraint of a study file:
// "objective minimize val_loss" or "objectives maximize val_accuracy,
// minimize params; constraint inference_ms <= 1".
func goalsText(s *spacefile.File) string {
	g := s.Goals()
	parts := make([]string, len(g.Objectives))
	for i, o := range g.Objectives {
		parts[i] = fmt.Sprintf("%s %s", o.Direction, o.Metric)
	}
	out := "objective " + strings.Join(parts, ", ")
	if len(parts) > 1 {
		out = "objectives " + strings.Join(parts, ", ")
	}
	if len(g.Constraints) > 0 {
		cs := make([]string, len(g.Constraints))
		for i, c := range g.Constraints {
			cs[i] = c.String()
		}
		out += "; constraints " + strings.Join(cs, ", ")
	}
	return out
}
