package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"automl/report"
	"automl/scheduler"
	"automl/trial"
	"automl/trial/goal"
)

func newStudiesCmd() *cobra.Command {
	var db string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "studies",
		Short: "List the studies in a study file",
		Long: `List every study in the study file with its status, trial counts by state
and best value. Works while a study runs.`,
		Example: `  automl studies
  automl studies --db runs/automl.db --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openReader(db)
			if err != nil {
				return err
			}
			defer st.Close()
			infos, err := st.Studies(cmd.Context())
			if err != nil {
				return err
			}
			fronts, err := studyFronts(cmd.Context(), st, infos)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), studiesJSON(infos, fronts))
			}
			if len(infos) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no studies in %s\n", db)
				return nil
			}
			return printStudies(cmd.OutOrStdout(), infos, fronts, db)
		},
	}
	addDBFlag(cmd, &db)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for programs")
	return cmd
}

type studyJSON struct {
	Name      string         `json:"name"`
	Status    string         `json:"status"`
	Reason    string         `json:"reason,omitempty"`
	Algorithm string         `json:"algorithm"`
	Metric    string         `json:"metric"`
	Direction string         `json:"direction"`
	Budget    int            `json:"budget,omitempty"`
	Trials    map[string]int `json:"trials"`
	Best      *float64       `json:"best,omitempty"`
	BestTrial *int           `json:"best_trial,omitempty"`
	// A study of several objectives has a front instead of a best:
	// its objectives, the front's size and its hypervolume.
	Objectives  []trial.Objective `json:"objectives,omitempty"`
	Constraints []goal.Constraint `json:"constraints,omitempty"`
	Front       *int              `json:"pareto_front,omitempty"`
	Hypervolume *float64          `json:"hypervolume,omitempty"`
	Seed        uint64            `json:"seed"`
	SpaceFile   string            `json:"space_file"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
	Elapsed     string            `json:"elapsed"`
	Seconds     float64           `json:"elapsed_seconds"`
	// Queued configurations wait to run first; Rerun trials run again at
	// the next automl search; History is what users changed.
	Queued  int                      `json:"queued,omitempty"`
	Rerun   []int                    `json:"rerun,omitempty"`
	History []scheduler.HistoryEntry `json:"history,omitempty"`
	// SpaceVersions, once the study's space has been edited: each version
	// with the first trial created under it and the changes (automl report
	// STUDY --format json has their texts).
	SpaceVersions []scheduler.SpaceVersion `json:"space_versions,omitempty"`
}

func studiesJSON(infos []scheduler.StudyInfo, fronts map[string]front) []studyJSON {
	out := make([]studyJSON, 0, len(infos))
	for _, in := range infos {
		s := studyJSON{
			Name: in.Name, Status: string(in.Status), Reason: in.Reason, Algorithm: in.Algorithm,
			Metric: in.Metric, Direction: in.Direction.String(), Budget: in.Trials, Trials: map[string]int{},
			Seed: in.Seed, SpaceFile: in.SpaceFile, Created: in.Created, Updated: in.Updated, Elapsed: in.Elapsed.Round(time.Millisecond).String(), Seconds: in.Elapsed.Seconds(),
			Queued: len(in.Queue), Rerun: in.Rerun, History: in.History, Objectives: in.Objectives, Constraints: in.Constraints,
		}
		for st, n := range in.Counts {
			s.Trials[st.String()] = n
		}
		for _, v := range in.SpaceVersions {
			v.SpaceText = ""
			s.SpaceVersions = append(s.SpaceVersions, v)
		}
		if f, ok := fronts[in.Name]; ok {
			s.Front = &f.size
			if f.ok {
				s.Hypervolume = &f.hypervolume
			}
		} else if in.HasBest {
			b, id := in.Best, in.BestID
			s.Best, s.BestTrial = &b, &id
		}
		out = append(out, s)
	}
	return out
}

// printStudies prints the table, then how to continue each interrupted
// study (stopped by a user, or its automl search killed).
func printStudies(w io.Writer, infos []scheduler.StudyInfo, fronts map[string]front, db string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STUDY\tSTATUS\tALGORITHM\tTRIALS\tBEST\tOBJECTIVE\tUPDATED")
	for _, in := range infos {
		best := "-"
		objective := in.Direction.String() + " " + in.Metric
		if f, ok := fronts[in.Name]; ok {
			best = f.String()
			objective = objectivesText(in.Objectives)
		} else if in.HasBest {
			best = fmt.Sprintf("%.6g (trial %d)", in.Best, in.BestID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, in.Status, in.Algorithm, report.StateCounts(in.Counts, in.Trials),
			best, objective, in.Updated.Local().Format("2006-01-02 15:04"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, in := range infos {
		if in.Status == scheduler.StudyInterrupted {
			fmt.Fprintf(w, "\n%s is interrupted (%s); continue it with: automl search -space %s%s\n", in.Name, in.Reason, in.SpaceFile, dbArg(db))
		}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// front is a study of several objectives' Pareto front in numbers.
type front struct {
	size        int
	hypervolume float64
	ok          bool // some trial is feasible: the hypervolume is known
}

func (f front) String() string {
	if !f.ok {
		return "front: none feasible"
	}
	return fmt.Sprintf("front %d, hv %.6g", f.size, f.hypervolume)
}

// studyFronts loads each study of several objectives and measures its
// front (report.FrontSummary).
func studyFronts(ctx context.Context, st scheduler.Reader, infos []scheduler.StudyInfo) (map[string]front, error) {
	out := map[string]front{}
	for i := range infos {
		if !infos[i].Goals().Multi() {
			continue
		}
		state, err := st.Load(ctx, infos[i].Name)
		if err != nil {
			return nil, err
		}
		var f front
		f.size, f.hypervolume, f.ok = report.FrontSummary(report.Leaderboard(state.Study, state.Trials))
		out[infos[i].Name] = f
	}
	return out, nil
}

// objectivesText is "minimize f1, maximize f2".
func objectivesText(objs []trial.Objective) string {
	parts := make([]string, len(objs))
	for i, o := range objs {
		parts[i] = o.Direction.String() + " " + o.Metric
	}
	return strings.Join(parts, ", ")
}
