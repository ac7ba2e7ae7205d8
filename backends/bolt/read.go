package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"automl/scheduler"
	"automl/trial"
)

// Load returns the study's state; Study is nil when it does not exist.
func (s *Store) Load(ctx context.Context, study string) (scheduler.StudyState, error) {
	return loadStudy(ctx, s.db, study)
}

// Reports returns a trial's reports in step order.
func (s *Store) Reports(ctx context.Context, study string, id int) ([]scheduler.Report, error) {
	return readReports(ctx, s.db, study, id)
}

// Studies lists every study in name order with its counts and best value.
func (s *Store) Studies(ctx context.Context) ([]scheduler.StudyInfo, error) {
	return listStudies(ctx, s.db)
}

// rawStudy is a study's records as stored (JSON), copied out of a read
// transaction since bbolt's slices die with it. Trials are in id order.
type rawStudy struct {
	config, snapshot []byte
	trials           [][]byte
}

func studyBucket(tx *bbolt.Tx, study string) *bbolt.Bucket {
	if b := tx.Bucket(bucketStudies); b != nil {
		return b.Bucket([]byte(study))
	}
	return nil
}

// loadRaw copies a study's records out of one read transaction; nil when
// the study does not exist. The trials share one arena (two allocations
// instead of one per trial) and the transaction does nothing but copy.
func loadRaw(ctx context.Context, db *bbolt.DB, study string) (*rawStudy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var raw *rawStudy
	var arena []byte
	var ends []int
	err := protect(func() error {
		return db.View(func(tx *bbolt.Tx) error {
			sb := studyBucket(tx, study)
			if sb == nil {
				return nil
			}
			raw = &rawStudy{config: bytes.Clone(sb.Get(keyConfig)), snapshot: bytes.Clone(sb.Get(keySnapshot))}
			return sb.Bucket(bucketTrials).ForEach(func(_, v []byte) error {
				arena = append(arena, v...)
				ends = append(ends, len(arena))
				return nil
			})
		})
	})
	if err != nil || raw == nil {
		return nil, err
	}
	raw.trials = make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		raw.trials[i] = arena[start:end:end]
		start = end
	}
	return raw, nil
}

func loadStudy(ctx context.Context, db *bbolt.DB, study string) (scheduler.StudyState, error) {
	raw, err := loadRaw(ctx, db, study)
	if err == nil && raw != nil {
		var st scheduler.StudyState
		if st, err = raw.decode(); err == nil {
			return st, nil
		}
	}
	if err != nil {
		return scheduler.StudyState{}, fmt.Errorf("load study %q: %w", study, err)
	}
	return scheduler.StudyState{}, nil
}

func (raw *rawStudy) decode() (scheduler.StudyState, error) {
	st := scheduler.StudyState{Study: new(scheduler.Study)}
	if err := json.Unmarshal(raw.config, st.Study); err != nil {
		return st, fmt.Errorf("study record: %w", err)
	}
	if raw.snapshot != nil {
		if err := json.Unmarshal(raw.snapshot, &st.Snapshot); err != nil {
			return st, fmt.Errorf("snapshot: %w", err)
		}
	}
	if len(raw.trials) == 0 {
		return st, nil
	}
	st.Trials = make([]trial.Record, len(raw.trials))
	err := parallelFor(len(raw.trials), func(i int) error {
		if err := json.Unmarshal(raw.trials[i], &st.Trials[i]); err != nil {
			return fmt.Errorf("trial record %d: %w", i, err)
		}
		return nil
	})
	return st, err
}

// loadReportsRaw copies a trial's encoded reports, in step order; found is
// false when the study does not exist.
func loadReportsRaw(ctx context.Context, db *bbolt.DB, study string, id int) (raw [][]byte, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	err = protect(func() error {
		return db.View(func(tx *bbolt.Tx) error {
			sb := studyBucket(tx, study)
			if sb == nil {
				return nil
			}
			found = true
			prefix := trialKey(id)
			c := sb.Bucket(bucketReports).Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				raw = append(raw, bytes.Clone(v))
			}
			return nil
		})
	})
	return raw, found, err
}

func readReports(ctx context.Context, db *bbolt.DB, study string, id int) ([]scheduler.Report, error) {
	raw, found, err := loadReportsRaw(ctx, db, study, id)
	if err == nil && !found {
		err = scheduler.ErrStudyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reports of trial %d of study %q: %w", id, study, err)
	}
	out := make([]scheduler.Report, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("reports of trial %d of study %q: %w", id, study, err)
		}
	}
	return out, nil
}

func listStudies(ctx context.Context, db *bbolt.DB) ([]scheduler.StudyInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []scheduler.StudyInfo
	err := protect(func() error {
		// Summaries are decoded inside the transaction straight from
		// bbolt's slices (into fresh values, keeping none of them): that
		// spares copying every trial record.
		return db.View(func(tx *bbolt.Tx) error {
			studies := tx.Bucket(bucketStudies)
			if studies == nil {
				return nil
			}
			return studies.ForEach(func(name, v []byte) error {
				if v != nil {
					return nil
				}
				info, err := summarise(studies.Bucket(name))
				if err != nil {
					return fmt.Errorf("study %q: %w", name, err)
				}
				out = append(out, info)
				return ctx.Err()
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list studies: %w", err)
	}
	return out, nil
}

// brief is the part of a trial record a listing needs.
type brief struct {
	ID       int         `json:"id"`
	State    trial.State `json:"state"`
	Value    float64     `json:"value"`
	HasValue bool        `json:"has_value"`
}

// summarise counts a study's trials by state and finds its best completed
// trial (the lowest id among equals).
func summarise(sb *bbolt.Bucket) (scheduler.StudyInfo, error) {
	var info scheduler.StudyInfo
	if err := json.Unmarshal(sb.Get(keyConfig), &info.Study); err != nil {
		return info, fmt.Errorf("study record: %w", err)
	}
	var vals [][]byte
	if err := sb.Bucket(bucketTrials).ForEach(func(_, v []byte) error {
		vals = append(vals, v)
		return nil
	}); err != nil {
		return info, err
	}
	briefs := make([]brief, len(vals))
	if err := parallelFor(len(vals), func(i int) error {
		if err := json.Unmarshal(vals[i], &briefs[i]); err != nil {
			return fmt.Errorf("trial record: %w", err)
		}
		return nil
	}); err != nil {
		return info, err
	}
	info.Counts = map[trial.State]int{}
	for _, b := range briefs {
		info.Counts[b.State]++
		if b.State != trial.Completed || !b.HasValue {
			continue
		}
		if !info.HasBest || info.Objective.Better(b.Value, info.Best) {
			info.HasBest, info.BestID, info.Best = true, b.ID, b.Value
		}
	}
	return info, nil
}
