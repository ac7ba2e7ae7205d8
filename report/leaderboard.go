package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/goal"
)

// Row is one trial in a leaderboard.
type Row struct {
	Rank int `json:"rank,omitempty"` // 1 = best; 0 for trials without a value
	trial.Record
	// Cause is the one line of Error that says why the trial failed (see
	// Why), for programs reading the JSON.
	Cause string `json:"cause,omitempty"`
	// SpaceVersion is the version of the study's space the trial was
	// created under, once the space has been edited (0 before).
	SpaceVersion int `json:"space_version,omitempty"`
	// Standing is the place of a trial completed at its full budget in a
	// study of several objectives or with constraints (nil otherwise):
	// its Pareto rank (0: the front), crowding and total violation.
	Standing *goal.Standing `json:"-"`
	// constrained: the study has constraints (feasible and violation
	// are written).
	constrained bool
}

// MarshalJSON writes the row as its record, with its rank and cause, and
// its time on workers as duration_s in seconds, the record's busy (in
// nanoseconds) left out: a program reading a report should not need to
// know Go's time.Duration.
func (r Row) MarshalJSON() ([]byte, error) {
	type record trial.Record // its fields, not its methods
	return json.Marshal(struct {
		Rank int `json:"rank,omitempty"`
		*record
		Cause        string   `json:"cause,omitempty"`
		SpaceVersion int      `json:"space_version,omitempty"`
		DurationS    float64  `json:"duration_s,omitempty"`
		Busy         struct{} `json:"busy,omitzero"` // hides the record's: a shallower field wins
		ParetoRank   *int     `json:"pareto_rank,omitempty"`
		Feasible     *bool    `json:"feasible,omitempty"`
		Violation    *float64 `json:"violation,omitempty"`
	}{Rank: r.Rank, record: (*record)(&r.Record), Cause: r.Cause, SpaceVersion: r.SpaceVersion, DurationS: r.Busy.Seconds(),
		ParetoRank: r.paretoRank(), Feasible: r.feasible(), Violation: r.violation()})
}

// Leaderboard ranks a study's trials: completed trials by objective value,
// best first (ties by id), or in a study of several objectives by Pareto
// rank (the front first), then crowding distance (larger first), then the
// first objective; with constraints, the feasible ones come first and the
// infeasible ones after them by total violation; in a multi-fidelity study, those that ended at a
// lower rung come after the ones trained to the full budget, by resource
// reached, then value; then trials still going (paused at a rung, running,
// pending) by value, then pruned, stopped and failed ones. Once the study
// is over (not running), its pending and running trials are ones it never
// ran: they come after the failures that explain its end. Imported results
// (from another study or an export, never run here) come last, apart, by
// value, unranked.
func Leaderboard(study *scheduler.Study, records []trial.Record) []Row {
	maximize := study.Direction == trial.Maximize
	over := study.Status != "" && study.Status != scheduler.StudyRunning
	group := func(r *trial.Record) int {
		switch r.State {
		case trial.Completed:
			switch {
			case r.HasValue && !r.Pause:
				return 0
			case r.HasValue:
				return 1 // ended at a lower rung
			}
			return 1
		case trial.Running, trial.Pending:
			if over {
				return 6
			}
			return 2
		case trial.Paused:
			return 2
		case trial.Pruned:
			return 3
		case trial.Stopped:
			return 4
		case trial.Imported:
			return 7
		}
		return 5
	}
	rows := make([]Row, len(records))
	edited := len(study.SpaceVersions) > 0
	for i := range records {
		rows[i] = Row{Record: records[i]}
		if records[i].Error != "" {
			rows[i].Cause = Why(&records[i])
		}
		if edited {
			rows[i].SpaceVersion = study.VersionOf(records[i].ID)
		}
	}
	goals := study.Goals()
	if goals.Multi() || goals.Constrained() {
		stand(goals, rows)
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if c := cmp.Compare(group(&a.Record), group(&b.Record)); c != 0 {
			return c
		}
		if a.Standing != nil && b.Standing != nil {
			if c := goal.Order(a.Standing, b.Standing); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		}
		if a.Pause && b.Pause && a.Resource != b.Resource {
			return cmp.Compare(b.Resource, a.Resource)
		}
		if a.HasValue != b.HasValue {
			if a.HasValue {
				return -1
			}
			return 1
		}
		if a.HasValue && a.Value != b.Value {
			if maximize {
				return cmp.Compare(b.Value, a.Value)
			}
			return cmp.Compare(a.Value, b.Value)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	rank := 0
	for i := range rows {
		if rows[i].State == trial.Completed && rows[i].HasValue {
			rank++
			rows[i].Rank = rank
		}
	}
	return rows
}

// CountStates counts the rows by state.
func CountStates(rows []Row) map[trial.State]int {
	c := map[trial.State]int{}
	for i := range rows {
		c[rows[i].State]++
	}
	return c
}

// StateCounts summarises trial counts by state in lifecycle order:
// "48/50 done, 1 running, 2 failed" (with a trial budget), or "48 done,
// ...", and imported results last ("48/50 done, 30 imported").
func StateCounts(c map[trial.State]int, budget int) string {
	done := c[trial.Completed]
	parts := []string{fmt.Sprintf("%d done", done)}
	if budget > 0 {
		parts[0] = fmt.Sprintf("%d/%d done", done, budget)
	}
	for _, st := range []trial.State{trial.Running, trial.Pending, trial.Paused, trial.Pruned, trial.Stopped, trial.Failed, trial.Imported} {
		if c[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[st], st))
		}
	}
	return strings.Join(parts, ", ")
}

// ParamNames lists the parameter names that occur in rows, in first-seen
// order of the best rows (which is the space's order for complete points).
func ParamNames(rows []Row) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, nv := range r.Params {
			if !seen[nv.Name] {
				seen[nv.Name] = true
				names = append(names, nv.Name)
			}
		}
	}
	return names
}

// WriteMarkdown writes rows as a Markdown table.
func WriteMarkdown(w io.Writer, cols []Column, rows []Row) error {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range cols {
		b.WriteString(" " + mdEscape(c.Name) + " |")
	}
	b.WriteString("\n|")
	for range cols {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for i := range rows {
		b.WriteString("|")
		for _, c := range cols {
			b.WriteString(" " + mdEscape(c.Get(&rows[i])) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscaper is built once: a Replacer per cell cost ~100 KB and made a
// 100,000-trial table take seconds.
var mdEscaper = strings.NewReplacer("|", `\|`, "\n", " ")

func mdEscape(s string) string { return mdEscaper.Replace(s) }

// WriteCSV writes rows as CSV with a header, each cell in its form for
// programs (Column.Data): numbers with every digit and no unit (durations
// in seconds), times in RFC 3339. Cells that a spreadsheet would run as a
// formula (starting with =, +, -, @) are prefixed with a quote, unless they
// are plain numbers.
func WriteCSV(w io.Writer, cols []Column, rows []Row) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(cols))
	for i := range cols {
		rec[i] = csvSafe(cols[i].Header("csv"))
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i := range rows {
		for j := range cols {
			rec[j] = csvSafe(cols[j].dataText(&rows[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvSafe(s string) string {
	if s == "" || !strings.ContainsAny(s[:1], "=+-@\t\r") {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// multiFidelity reports whether any trial was paused at a rung or promoted.
func multiFidelity(rows []Row) bool {
	for i := range rows {
		if rows[i].Pause || rows[i].Rung > 0 {
			return true
		}
	}
	return false
}
