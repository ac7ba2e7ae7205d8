package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"automl/scheduler"
)

func newReportCmd() *cobra.Command {
	var db, format, out, columns string
	var top int
	cmd := &cobra.Command{
		Use:   "report STUDY",
		Short: "Export a study's leaderboard (Markdown, CSV or JSON)",
		Long: `Export a study's leaderboard: every trial ranked by the objective, with its
parameters, state, resource reached, duration, worker and, for pruned or
failed trials, why. Works while the study runs.`,
		Example: `  automl report quickstart
  automl report quickstart --format csv -o leaderboard.csv
  automl report quickstart --format json --top 10
  automl report quickstart --columns rank,trial,value,x0,x1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var write func(io.Writer, []scheduler.Column, []scheduler.Row) error
			switch format {
			case "md", "markdown":
				write = scheduler.WriteMarkdown
			case "csv":
				write = scheduler.WriteCSV
			case "json":
			default:
				return usagef("--format %q: want md, csv or json", format)
			}
			study, rows, err := loadLeaderboard(cmd, db, args[0])
			if err != nil {
				return err
			}
			if top > 0 && len(rows) > top {
				rows = rows[:top]
			}
			var w io.Writer = cmd.OutOrStdout()
			var f *os.File
			if out != "" && out != "-" {
				if f, err = os.Create(out); err != nil {
					return err
				}
				w = f
			}
			if write == nil {
				err = scheduler.WriteJSON(w, study, rows)
			} else {
				var cols []scheduler.Column
				cols, err = scheduler.SelectColumns(scheduler.Columns(study, rows), splitList(columns))
				if err != nil {
					return usageError{err}
				}
				if format != "csv" {
					fmt.Fprintf(w, "# Study %s\n\n%s %s, algorithm %s, %s, status %s\n\n", study.Name, study.Direction, study.Metric, study.Algorithm, countsOf(rows), study.Status)
				}
				err = write(w, cols, rows)
			}
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d trials)\n", out, len(rows))
				}
			}
			return err
		},
	}
	addDBFlag(cmd, &db)
	cmd.Flags().StringVar(&format, "format", "md", "md, csv or json")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	cmd.Flags().IntVar(&top, "top", 0, "only the best K trials")
	cmd.Flags().StringVar(&columns, "columns", "", "comma-separated columns to keep (md and csv), e.g. rank,trial,value")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func countsOf(rows []scheduler.Row) string {
	c := map[string]int{}
	for _, r := range rows {
		c[r.State.String()]++
	}
	var parts []string
	for _, st := range []string{"completed", "running", "pending", "paused", "pruned", "stopped", "failed"} {
		if c[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// printTable prints rows for a terminal.
func printTable(w io.Writer, cols []scheduler.Column, rows []scheduler.Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = strings.ToUpper(c.Name)
	}
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	for i := range rows {
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = shortNumber(c.Get(&rows[i]))
			if cells[j] == "" {
				cells[j] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// shortNumber shows a long decimal with 6 significant digits on a terminal
// (exports keep every digit).
func shortNumber(s string) string {
	if len(s) <= 9 || strings.ContainsAny(s, ":/ ") {
		return s
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}
