package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"automl/report"
	"automl/scheduler"
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
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), studiesJSON(infos))
			}
			if len(infos) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no studies in %s\n", db)
				return nil
			}
			return printStudies(cmd.OutOrStdout(), infos, db)
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
	Seed      uint64         `json:"seed"`
	SpaceFile string         `json:"space_file"`
	Created   time.Time      `json:"created"`
	Updated   time.Time      `json:"updated"`
	Elapsed   string         `json:"elapsed"`
	Seconds   float64        `json:"elapsed_seconds"`
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

func studiesJSON(infos []scheduler.StudyInfo) []studyJSON {
	out := make([]studyJSON, 0, len(infos))
	for _, in := range infos {
		s := studyJSON{
			Name: in.Name, Status: string(in.Status), Reason: in.Reason, Algorithm: in.Algorithm,
			Metric: in.Metric, Direction: in.Direction.String(), Budget: in.Trials, Trials: map[string]int{},
			Seed: in.Seed, SpaceFile: in.SpaceFile, Created: in.Created, Updated: in.Updated, Elapsed: in.Elapsed.Round(time.Millisecond).String(), Seconds: in.Elapsed.Seconds(),
			Queued: len(in.Queue), Rerun: in.Rerun, History: in.History,
		}
		for st, n := range in.Counts {
			s.Trials[st.String()] = n
		}
		for _, v := range in.SpaceVersions {
			v.SpaceText = ""
			s.SpaceVersions = append(s.SpaceVersions, v)
		}
		if in.HasBest {
			b, id := in.Best, in.BestID
			s.Best, s.BestTrial = &b, &id
		}
		out = append(out, s)
	}
	return out
}

// printStudies prints the table, then how to continue each interrupted
// study (stopped by a user, or its automl search killed).
func printStudies(w io.Writer, infos []scheduler.StudyInfo, db string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STUDY\tSTATUS\tALGORITHM\tTRIALS\tBEST\tOBJECTIVE\tUPDATED")
	for _, in := range infos {
		best := "-"
		if in.HasBest {
			best = fmt.Sprintf("%.6g (trial %d)", in.Best, in.BestID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s %s\t%s\n", in.Name, in.Status, in.Algorithm, report.StateCounts(in.Counts, in.Trials),
			best, in.Direction, in.Metric, in.Updated.Local().Format("2006-01-02 15:04"))
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
