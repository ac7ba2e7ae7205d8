package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"automl/spacefile"
)

func newValidateCmd() *cobra.Command {
	var spaces []string
	cmd := &cobra.Command{
		Use:   "validate -space FILE [FILE...]",
		Short: "Check space files and print every mistake found",
		Long: `Check space files without running anything. Every mistake is printed with
file:line:column, the parameter or key, and what would be right. The exit
status is 0 when every file is valid and 2 otherwise.`,
		Example: `  automl validate -space space.yaml
  automl validate examples/*/space.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			files := append(spaces, args...)
			if len(files) == 0 {
				return usagef("validate: name a space file with -space FILE")
			}
			bad := 0
			for _, f := range files {
				s, err := spacefile.ParseFile(f)
				if err != nil {
					var list spacefile.ErrorList
					if errors.As(err, &list) {
						for _, e := range list {
							fmt.Fprintln(cmd.OutOrStdout(), e)
						}
						bad += len(list)
					} else {
						fmt.Fprintln(cmd.OutOrStdout(), err)
						bad++
					}
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok: study %q, %d parameters, algorithm %s, trainer %s, objective %s %s\n",
					f, s.Study, s.Space.Dim(), s.Algorithm.Name, s.Trainer.Plugin, s.Objective.Direction, s.Objective.Metric)
				if w := s.BudgetWarning(); w != nil {
					fmt.Fprintln(cmd.OutOrStdout(), w)
				}
			}
			if bad > 0 {
				return usagef("%d mistake(s) found", bad)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&spaces, "space", nil, "space file to check (repeatable)")
	return cmd
}
