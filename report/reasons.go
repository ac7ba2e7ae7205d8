package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"automl/internal/cause"
	"automl/trial"
)

// Reason is one cause of pruned, stopped or failed trials: the trials
// whose causes (see package internal/cause) differ at most in numbers.
type Reason struct {
	State trial.State
	// Text is the cause, as the group's first trial (by id) gives it.
	Text string
	// Detail is the output quoted under that trial's error (the end of
	// its trainer's stderr), "" when there is none.
	Detail string
	// Varies: the trials' causes differ in their numbers (a loss value, a
	// step), and Text is the first trial's.
	Varies bool
	Count  int
	Trials []int // the first few, in id order
}

// maxReasonTrials bounds the example trial ids kept per reason.
const maxReasonTrials = 8

// Reasons groups why the pruned, stopped and failed trials among rows did
// not complete, by state and cause, most frequent first: at most
// maxReasons groups, and how many more there are and the trials in them.
func Reasons(rows []Row) (rs []Reason, moreReasons, moreTrials int) {
	type key struct {
		state trial.State
		group string
	}
	type group struct {
		Reason
		first int // row index of the trial with the lowest id
	}
	groups := map[key]*group{}
	masked := map[string]string{} // cause -> its group's text: causes repeat
	for i := range rows {
		r := &rows[i].Record
		if r.State != trial.Pruned && r.State != trial.Stopped && r.State != trial.Failed {
			continue
		}
		text := whyText(&rows[i])
		m, ok := masked[text]
		if !ok {
			m = cause.Group(text)
			masked[text] = m
		}
		k := key{r.State, m}
		g := groups[k]
		switch {
		case g == nil:
			g = &group{Reason: Reason{State: r.State, Text: text}, first: i}
			groups[k] = g
		case text != g.Text:
			g.Varies = true
			if r.ID < rows[g.first].ID {
				g.Text, g.first = text, i
			}
		case r.ID < rows[g.first].ID:
			g.first = i
		}
		g.Count++
		g.Trials = append(g.Trials, r.ID)
	}
	for _, g := range groups {
		slices.Sort(g.Trials)
		g.Trials = g.Trials[:min(len(g.Trials), maxReasonTrials)]
		g.Detail = cause.Detail(rows[g.first].Error)
		rs = append(rs, g.Reason)
	}
	slices.SortFunc(rs, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.State, b.State), cmp.Compare(a.Trials[0], b.Trials[0]))
	})
	if len(rs) > maxReasons {
		for _, r := range rs[maxReasons:] {
			moreReasons++
			moreTrials += r.Count
		}
		rs = rs[:maxReasons]
	}
	return rs, moreReasons, moreTrials
}

// Why says why a trial did not complete (or what its note is): the cause
// in its error (see package internal/cause: the message's first line, with
// the line of the trainer's output that names the failure, and without
// trial keys), else its note.
func Why(r *trial.Record) string {
	if r.Error != "" {
		return cause.Of(r.Error)
	}
	return r.Note
}

// rowWhy is Why, taking the cause Leaderboard found (reading an error
// costs a few regular expressions, and a report reads each row's twice).
func rowWhy(r *Row) string {
	switch {
	case r.Cause != "":
		return r.Cause
	case r.Error != "":
		return Why(&r.Record)
	}
	return r.Note
}

func whyText(r *Row) string {
	if w := rowWhy(r); w != "" {
		return w
	}
	return "(no reason recorded)"
}

// maxDetailLines bounds the lines of a trainer's output WriteReasons
// quotes under a cause: its end, where the error is.
const maxDetailLines = 8

// WriteReasons writes why trials did not complete, grouped by cause (see
// Reasons), for a terminal or as a Markdown section: each cause with its
// count, its trials, and the last lines of the first trial's output. It
// writes nothing when every trial that ended completed.
func WriteReasons(w io.Writer, rows []Row, markdown bool) error {
	rs, more, moreTrials := Reasons(rows)
	if len(rs) == 0 {
		return nil
	}
	var b strings.Builder
	if markdown {
		b.WriteString("\n## Why trials did not complete\n\n")
	} else {
		b.WriteString("\nWhy trials did not complete:\n")
	}
	for _, r := range rs {
		trials := trialList(r)
		detail := lastLines(r.Detail, maxDetailLines)
		if markdown {
			fmt.Fprintf(&b, "- **%d %s** (%s): %s\n", r.Count, r.State, trials, mdEscape(r.Text))
			if detail != "" {
				fence := "```"
				if strings.Contains(detail, fence) {
					fence = "~~~~"
				}
				fmt.Fprintf(&b, "\n  output of trial %d ends:\n\n  %s\n  %s\n  %s\n\n", r.Trials[0], fence, strings.ReplaceAll(detail, "\n", "\n  "), fence)
			}
			continue
		}
		fmt.Fprintf(&b, "  %d %s: %s\n    %s\n", r.Count, r.State, r.Text, trials)
		if detail != "" {
			fmt.Fprintf(&b, "    output of trial %d ends:\n      %s\n", r.Trials[0], strings.ReplaceAll(detail, "\n", "\n      "))
		}
	}
	if more > 0 {
		fmt.Fprintf(&b, "%sand %d other causes (%d trials)\n", map[bool]string{true: "- ", false: "  "}[markdown], more, moreTrials)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// trialList names a reason's trials: "trial 3", "trials 0, 1, 2, …".
func trialList(r Reason) string {
	ids := make([]string, len(r.Trials))
	for i, id := range r.Trials {
		ids[i] = strconv.Itoa(id)
	}
	s := "trials " + strings.Join(ids, ", ")
	switch {
	case r.Count == 1:
		s = "trial " + ids[0]
	case r.Count > len(r.Trials):
		s += ", …"
	}
	if r.Varies {
		s += fmt.Sprintf("; numbers differ between them, trial %d's shown", r.Trials[0])
	}
	return s
}

// lastLines returns the last n lines of s, marking a cut with "…".
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return "…\n" + strings.Join(lines[len(lines)-n:], "\n")
}
