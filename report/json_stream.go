package report

import (
	"bufio"
	"encoding/json"
	"io"
	"runtime"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/goal"
)

// WriteJSON writes the study and its ranked trials as one JSON document
// (the study's name, objective and status, the versions of its space once
// it has been edited, the trials, the best one, and the ensemble built of
// its models when ens is not nil),
// indented, a row at a time: indenting one 100,000-trial document at once
// spent most of its time growing and copying an 80 MB buffer.
func WriteJSON(w io.Writer, study *scheduler.Study, rows []Row, ens *Ensemble) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	head := struct {
		Study     string `json:"study"`
		Metric    string `json:"metric"`
		Direction string `json:"direction"`
		Status    string `json:"status"`
		// Once the space has been edited: each version, its text and trials.
		Versions []Version `json:"space_versions,omitempty"`
		// A study of several objectives: all of them, and its front's
		// size and hypervolume; constraints, when it has any.
		Objectives  []trial.Objective `json:"objectives,omitempty"`
		Constraints []goal.Constraint `json:"constraints,omitempty"`
		Front       *int              `json:"pareto_front,omitempty"`
		Hypervolume *float64          `json:"hypervolume,omitempty"`
	}{Study: study.Name, Metric: study.Metric, Direction: study.Direction.String(), Status: string(study.Status), Versions: Versions(study),
		Objectives: study.Objectives, Constraints: study.Constraints}
	multi := study.Goals().Multi()
	if multi {
		size, hv, ok := FrontSummary(rows)
		head.Front = &size
		if ok {
			head.Hypervolume = &hv
		}
	}
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	bw.Write(b[:len(b)-2]) // without "\n}"
	if len(rows) == 0 {
		bw.WriteString(",\n  \"trials\": []\n}\n")
		return bw.Flush()
	}
	bw.WriteString(",\n  \"trials\": [\n    ")
	if err := encodeRows(bw, rows); err != nil {
		return err
	}
	bw.WriteString("\n  ]")
	if rows[0].Rank == 1 && !multi { // several objectives: a front, no best
		bw.WriteString(",\n  \"best\": ")
		if b, err = json.MarshalIndent(&rows[0], "  ", "  "); err != nil {
			return err
		}
		bw.Write(b)
	}
	if ens != nil {
		bw.WriteString(",\n  \"ensemble\": ")
		if b, err = json.MarshalIndent(ens, "  ", "  "); err != nil {
			return err
		}
		bw.Write(b)
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// encodeRows writes the rows, indented and comma-separated, encoding
// chunks of them on every CPU and writing the chunks in order.
func encodeRows(w io.Writer, rows []Row) error {
	const chunk = 512
	n := (len(rows) + chunk - 1) / chunk
	type result struct {
		b   []byte
		err error
	}
	results := make([]chan result, n)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	next := make(chan int)
	workers := min(runtime.GOMAXPROCS(0), n)
	for range workers {
		go func() {
			var buf []byte
			for c := range next {
				buf = nil
				var err error
				for i := c * chunk; i < min(len(rows), (c+1)*chunk) && err == nil; i++ {
					var b []byte
					if b, err = json.MarshalIndent(&rows[i], "    ", "  "); err == nil {
						if i > 0 {
							buf = append(buf, ",\n    "...)
						}
						buf = append(buf, b...)
					}
				}
				results[c] <- result{buf, err}
			}
		}()
	}
	window := make(chan struct{}, 4*workers) // chunks encoded but not yet written
	go func() {
		defer close(next)
		for c := range n {
			window <- struct{}{}
			next <- c
		}
	}()
	var firstErr error
	for c := range n {
		r := <-results[c]
		<-window
		if firstErr == nil {
			if firstErr = r.err; firstErr == nil {
				_, firstErr = w.Write(r.b)
			}
		}
	}
	return firstErr
}
