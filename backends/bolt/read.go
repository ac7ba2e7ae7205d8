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
	st, err := loadStudy(ctx, s.db, study)
	return st, s.fail(err)
}

// Reports returns a trial's reports in step order.
func (s *Store) Reports(ctx context.Context, study string, id int) ([]scheduler.Report, error) {
	reps, err := readReports(ctx, s.db, study, id)
	return reps, s.fail(err)
}

// Studies lists every study in name order with its counts and best value.
// A study recorded as running that this writer has not committed to is
// listed as interrupted: its scheduler died without closing it.
func (s *Store) Studies(ctx context.Context) ([]scheduler.StudyInfo, error) {
	infos, err := listStudies(ctx, s.db)
	markStale(infos, s.live.has)
	return infos, s.fail(err)
}

// rawStudy is a study's records as stored (JSON), copied out of a read
// transaction since bbolt's slices die with it. Trials are in id order.
type rawStudy struct {
	name             string
	config, snapshot []byte
	trials           [][]byte
}

func studyBucket(tx *bbolt.Tx, study string) *bbolt.Bucket {
	if b := tx.Bucket(bucketStudies); b != nil {
		return b.Bucket([]byte(study))
	}
	return nil
}

// loadRaw copies a study's records out of one read transaction, verifying
// each one's checksum; nil when the study does not exist. The trials share
// one arena (two allocations instead of one per trial) and the transaction
// does nothing but verify and copy.
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
			tb, err := subBucket(sb, study, bucketTrials)
			if err != nil {
				return err
			}
			raw = &rawStudy{}
			if raw.config, err = readRecord(study, kindStudy, keyConfig, sb.Get(keyConfig)); err != nil {
				return err
			}
			raw.config = bytes.Clone(raw.config)
			if v := sb.Get(keySnapshot); v != nil {
				if raw.snapshot, err = readRecord(study, kindSnapshot, keySnapshot, v); err != nil {
					return err
				}
				raw.snapshot = bytes.Clone(raw.snapshot)
			}
			return tb.ForEach(func(k, v []byte) error {
				p, err := readRecord(study, kindTrial, k, v)
				if err != nil {
					return err
				}
				arena = append(arena, p...)
				ends = append(ends, len(arena))
				return nil
			})
		})
	})
	if err != nil || raw == nil {
		return nil, err
	}
	raw.name = study
	raw.trials = make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		raw.trials[i] = arena[start:end:end]
		start = end
	}
	return raw, nil
}

// subBucket returns a study's trials or reports bucket; a missing one is
// damage (every study has both from its first commit).
func subBucket(sb *bbolt.Bucket, study string, name []byte) (*bbolt.Bucket, error) {
	if b := sb.Bucket(name); b != nil {
		return b, nil
	}
	return nil, &recordError{study: study, kind: string(name) + " bucket", problem: "missing"}
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
	if err := decodeStudy(raw.name, raw.config, st.Study); err != nil {
		return st, err
	}
	if raw.snapshot != nil {
		if err := json.Unmarshal(raw.snapshot, &st.Snapshot); err != nil {
			return st, &recordError{study: raw.name, kind: kindSnapshot, problem: "does not decode: " + err.Error()}
		}
	}
	if len(raw.trials) == 0 {
		return st, nil
	}
	st.Trials = make([]trial.Record, len(raw.trials))
	err := parallelFor(len(raw.trials), func(i int) error {
		if err := json.Unmarshal(raw.trials[i], &st.Trials[i]); err != nil {
			return &recordError{study: raw.name, kind: kindTrial, trial: st.Trials[i].ID, problem: "does not decode: " + err.Error()}
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
			rb, err := subBucket(sb, study, bucketReports)
			if err != nil {
				return err
			}
			prefix := trialKey(id)
			c := rb.Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				p, err := readRecord(study, kindReport, k, v)
				if err != nil {
					return err
				}
				raw = append(raw, bytes.Clone(p))
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
	return decodeReports(study, id, raw)
}

// decodeReports decodes a trial's reports (verified payloads).
func decodeReports(study string, id int, raw [][]byte) ([]scheduler.Report, error) {
	out := make([]scheduler.Report, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, &recordError{study: study, kind: kindReport, trial: id, step: out[i].Step, problem: "does not decode: " + err.Error()}
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
				info, err := summarise(studies.Bucket(name), string(name))
				if err != nil {
					return err
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
// trial (the lowest id among equals). It verifies every trial's checksum.
func summarise(sb *bbolt.Bucket, study string) (scheduler.StudyInfo, error) {
	var info scheduler.StudyInfo
	config, err := readRecord(study, kindStudy, keyConfig, sb.Get(keyConfig))
	if err != nil {
		return info, err
	}
	if err := decodeStudy(study, config, &info.Study); err != nil {
		return info, err
	}
	tb, err := subBucket(sb, study, bucketTrials)
	if err != nil {
		return info, err
	}
	var vals [][]byte // payloads, verified
	if err := tb.ForEach(func(k, v []byte) error {
		p, err := readRecord(study, kindTrial, k, v)
		vals = append(vals, p)
		return err
	}); err != nil {
		return info, err
	}
	briefs := make([]brief, len(vals))
	if err := parallelFor(len(vals), func(i int) error {
		if err := json.Unmarshal(vals[i], &briefs[i]); err != nil {
			return &recordError{study: study, kind: kindTrial, trial: briefs[i].ID, problem: "does not decode: " + err.Error()}
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

// decodeStudy decodes a study record (a verified payload) and checks it
// is the record of the bucket it was found in: the checksum covers the
// record's key, not its study's name.
func decodeStudy(study string, payload []byte, st *scheduler.Study) error {
	if err := json.Unmarshal(payload, st); err != nil {
		return &recordError{study: study, kind: kindStudy, problem: "does not decode: " + err.Error()}
	}
	if st.Name != study {
		return &recordError{study: study, kind: kindStudy, problem: fmt.Sprintf("names study %q (the study's name changed on disk)", st.Name)}
	}
	return nil
}
