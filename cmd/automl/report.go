package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"automl/report"
	"automl/scheduler"
)

// reportFlags are the flags of `automl report`.
type reportFlags struct {
	db, format, out, columns, sort, plot, param, size string
	refPoint                                          string
	top                                               int
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report STUDY",
		Short: "Export a study: Markdown, CSV, JSON, an HTML report, or one plot as PNG/SVG",
		Long: `Export a study's leaderboard: every trial ranked by the objective, with its
parameters, state, resource reached, duration, worker and, for pruned or
failed trials, why. Works while the study runs.

--format html writes one self-contained page (no network needed): the
summary, the best trial's parameters as YAML, the sortable leaderboard, and
plots of the optimization history, parameter importance (fANOVA on a
random forest), learning curves, parallel coordinates, slices per parameter
and a timeline of trials per worker slot or GPU.

A study of several objectives also gets a Pareto-front plot (any two
objectives, the front highlighted, infeasible trials grey) and the
hypervolume of the feasible front after each trial; the summary names the
front's size, its hypervolume and the reference point: --ref-point, one
value per objective in its own units, else the nadir of the feasible
trials plus 10% of their range in each objective.

--plot draws one of those plots alone, as PNG or SVG (gonum/plot):
history, importance, parallel, curves, timeline, slice (with --param),
pareto (--param x,y picks two objectives; default the first two) or
hypervolume.

--sort orders rows by columns (prefix - for descending), e.g. -duration or
state,value; --top keeps the first K rows after sorting; --columns keeps and
orders columns (md, csv, json and the HTML leaderboard), or with + on every
name adds them to the format's own.

Columns: rank, trial, state, the objective, each parameter, every other
metric the trials reported (its final value, e.g. test_accuracy), resource
(rung in a multi-fidelity study, space_version once the space was edited),
duration, attempts, worker, created, started, finished and note. md shows
people's forms (3.2s); csv and json are for programs: duration is
duration_s (plain seconds), times are RFC 3339 in UTC, numbers keep every
digit. Without --columns, csv has every column, the HTML leaderboard all
but the times, and md leaves out the other metrics too.`,
		Example: `  automl report quickstart
  automl report quickstart --format html -o report.html
  automl report quickstart --format csv -o leaderboard.csv
  automl report quickstart --format json --top 10 --columns trial,value,x0,x1
  automl report quickstart --sort -duration --top 5
  automl report mlp --columns +test_accuracy --sort -test_accuracy
  automl report quickstart --plot history -o history.png
  automl report quickstart --plot slice --param x0 --format svg -o x0.svg
  automl report zdt --plot pareto -o front.png
  automl report zdt --plot hypervolume --ref-point 1.1,1.1 -o hv.svg`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("format") {
				f.format = formatFromName(f.out, f.plot != "")
			}
			return runReport(cmd, args[0], f)
		},
	}
	addDBFlag(cmd, &f.db)
	cmd.Flags().StringVar(&f.format, "format", "", "md, csv, json or html; png or svg with --plot (default: from -o's extension, else md, or png with --plot)")
	cmd.Flags().StringVarP(&f.out, "output", "o", "", "write to this file instead of standard output")
	cmd.Flags().IntVar(&f.top, "top", 0, "only the first K rows (after --sort: the best K)")
	cmd.Flags().StringVar(&f.columns, "columns", "", "comma-separated columns to keep, in order, e.g. rank,trial,value")
	cmd.Flags().StringVar(&f.sort, "sort", "", "comma-separated columns to sort by, - for descending, e.g. -duration")
	cmd.Flags().StringVar(&f.plot, "plot", "", "one plot alone: "+strings.Join(report.PlotKinds, ", "))
	cmd.Flags().StringVar(&f.param, "param", "", "the parameter of --plot slice; the objectives x,y of --plot pareto")
	cmd.Flags().StringVar(&f.refPoint, "ref-point", "", "the hypervolume's reference point, one value per objective, e.g. 1.1,1.1 (default: the feasible trials' nadir plus 10% of their range)")
	cmd.Flags().StringVar(&f.size, "size", "", "plot size in pixels, WIDTHxHEIGHT (default 960x540)")
	return cmd
}

// formatFromName guesses the format from the output file's extension.
func formatFromName(out string, plot bool) string {
	switch strings.ToLower(filepath.Ext(out)) {
	case ".html", ".htm":
		return "html"
	case ".csv":
		return "csv"
	case ".json":
		return "json"
	case ".svg":
		return "svg"
	case ".png":
		return "png"
	}
	if plot {
		return "png"
	}
	return "md"
}

func runReport(cmd *cobra.Command, study string, f reportFlags) error {
	switch {
	case f.plot != "":
		if f.format != "png" && f.format != "svg" {
			return usagef("--plot draws png or svg, not --format %q", f.format)
		}
		if f.out == "" {
			return usagef("--plot needs -o FILE (or -o - for standard output)")
		}
		if f.top != 0 || f.sort != "" || f.columns != "" {
			return usagef("--plot draws every trial; --top, --sort and --columns are for tables")
		}
	case f.format == "png" || f.format == "svg":
		return usagef("--format %s draws one plot: add --plot (%s)", f.format, strings.Join(report.PlotKinds, ", "))
	case f.format != "md" && f.format != "markdown" && f.format != "csv" && f.format != "json" && f.format != "html":
		return usagef("--format %q: want md, csv, json or html (or png, svg with --plot)", f.format)
	}
	if f.top < 0 {
		return usagef("--top must be >= 0, got %d", f.top)
	}
	if f.param != "" && f.plot != "slice" && f.plot != "pareto" {
		return usagef("--param goes with --plot slice or --plot pareto")
	}
	if f.refPoint != "" && f.format != "html" && f.plot != "pareto" && f.plot != "hypervolume" {
		return usagef("--ref-point goes with --format html, --plot pareto or --plot hypervolume")
	}
	if f.out == "" || f.out == "-" {
		w := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
		if _, err := writeReport(cmd, w, study, f); err != nil {
			return err
		}
		return w.Flush()
	}
	var n string
	err := writeFileAtomic(f.out, func(w io.Writer) (err error) {
		n, err = writeReport(cmd, w, study, f)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s)\n", f.out, n)
	return nil
}

// writeReport renders the report into w and says what it holds.
func writeReport(cmd *cobra.Command, w io.Writer, study string, f reportFlags) (string, error) {
	if f.plot != "" || f.format == "html" {
		d, err := loadReport(cmd, f.db, study, f.refPoint)
		if err != nil {
			return "", err
		}
		if f.plot != "" {
			width, height, err := parseSize(f.size)
			if err != nil {
				return "", err
			}
			err = report.WritePlot(w, d, report.PlotOptions{Kind: f.plot, Param: f.param, Format: f.format, Width: width, Height: height})
			if errors.Is(err, report.ErrBadPlot) {
				return "", usageError{err}
			}
			return f.plot + " plot", err
		}
		view, err := htmlView(d.Study, d.Rows, f)
		if err != nil {
			return "", err
		}
		if f.db != defaultDB {
			view.DB = f.db // for the automl logs commands the page shows
		}
		d.Ensemble = reportEnsemble(cmd, f.db, study)
		return fmt.Sprintf("%d trials", len(d.Rows)), report.WriteHTML(w, d, view, time.Now())
	}
	study2, rows, err := loadLeaderboard(cmd, f.db, study)
	if err != nil {
		return "", err
	}
	ens := reportEnsemble(cmd, f.db, study)
	if f.sort != "" {
		if err := report.SortRows(study2, rows, f.sort); err != nil {
			return "", usageError{fmt.Errorf("--sort: %w", err)}
		}
	}
	counts := report.StateCounts(report.CountStates(rows), 0)
	all := rows // the causes of failures count every trial, --top or not
	shown := ""
	if f.top > 0 && len(rows) > f.top {
		shown = fmt.Sprintf("; the best %d of %d trials", f.top, len(rows))
		if f.sort != "" {
			shown = fmt.Sprintf("; the first %d of %d trials by %s", f.top, len(rows), f.sort)
		}
		rows = rows[:f.top]
	}
	names := splitList(f.columns)
	if f.format == "json" {
		if len(names) == 0 {
			return fmt.Sprintf("%d trials", len(rows)), report.WriteJSON(w, study2, rows, ens)
		}
		if _, err := report.SelectColumns(report.Columns(study2, rows), names, "json"); err != nil {
			return "", usageError{fmt.Errorf("--columns: %w", err)}
		}
		if err := report.WriteJSONColumns(w, study2, rows, names); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d trials", len(rows)), nil
	}
	cols, err := report.SelectColumns(report.Columns(study2, rows), names, f.format)
	if err != nil {
		return "", usageError{fmt.Errorf("--columns: %w", err)}
	}
	if f.format == "csv" {
		return fmt.Sprintf("%d trials", len(rows)), report.WriteCSV(w, cols, rows)
	}
	fmt.Fprintf(w, "# Study %s\n\n%s %s, algorithm %s, %s, status %s%s\n\n", study2.Name, study2.Direction, study2.Metric, study2.Algorithm, counts, study2.Status, shown)
	if ens != nil {
		line := ens.Line()
		fmt.Fprintf(w, "E%s\n\nMembers (trial×weight): %s\n\n", line[1:], ens.Weights())
	}
	if err := report.WriteMarkdown(w, cols, rows); err != nil {
		return "", err
	}
	if err := report.WriteReasons(w, all, true); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d trials", len(rows)), report.WriteVersionsMarkdown(w, report.Versions(study2))
}

// htmlView is how the page's leaderboard starts: --sort and --columns
// checked as the tables check them (the page itself would ignore a name it
// lacks), each column by the name the page knows it by (duration for
// duration_s).
func htmlView(st *scheduler.Study, rows []report.Row, f reportFlags) (report.View, error) {
	v := report.View{Top: f.top}
	cols := report.Columns(st, rows)
	var keys []string
	for _, k := range splitList(f.sort) {
		desc := strings.HasPrefix(k, "-")
		c, err := report.FindColumn(cols, strings.TrimLeft(k, "+-"))
		if err != nil {
			return v, usageError{fmt.Errorf("--sort: %w", err)}
		}
		keys = append(keys, map[bool]string{true: "-"}[desc]+c.Name)
	}
	v.Sort = strings.Join(keys, ",")
	if names := splitList(f.columns); len(names) > 0 {
		sel, err := report.SelectColumns(cols, names, "html")
		if err != nil {
			return v, usageError{fmt.Errorf("--columns: %w", err)}
		}
		for _, c := range sel {
			v.Columns = append(v.Columns, c.Name)
		}
	}
	return v, nil
}

// loadReport reads a study with its learning curves and builds its views.
// refPoint is --ref-point ("": the default).
func loadReport(cmd *cobra.Command, db, name, refPoint string) (*report.Data, error) {
	st, err := openReader(db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	d, err := report.Load(cmd.Context(), st, name, report.Options{RefPoint: refPoint})
	if errors.Is(err, scheduler.ErrStudyNotFound) {
		return nil, usageError{fmt.Errorf("no study %q in %s%s", name, db, knownStudies(cmd, st))}
	}
	if errors.Is(err, report.ErrBadPlot) {
		return nil, usageError{err}
	}
	return d, err
}

func parseSize(s string) (w, h int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w < 100 || h < 100 || w > 10000 || h > 10000 {
		return 0, 0, usagef("--size %q: want WIDTHxHEIGHT in pixels, each 100 to 10000, e.g. 1200x600", s)
	}
	return w, h, nil
}

// writeFileAtomic writes a temporary file beside path with write and
// renames it over path: a reader never sees half a report, and a failed
// report leaves the old file alone.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(tmp, 1<<16)
	if err := write(w); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	err = w.Flush()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
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

// printTable prints rows for a terminal, in their forms for people.
func printTable(w io.Writer, cols []report.Column, rows []report.Row) error {
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
