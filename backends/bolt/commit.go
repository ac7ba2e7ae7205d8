package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"go.etcd.io/bbolt"

	"automl/internal/probe"
	"automl/scheduler"
)

// fillPercent packs pages fuller than bbolt's default: trial ids and report
// keys mostly arrive in increasing order, where half-full splits waste space.
const fillPercent = 0.9

// Commit writes c in one bbolt transaction: all of it or, on any error
// (an unencodable record, a full disk, a cancelled ctx), none of it. The
// first commit of a study must carry its Study record.
func (s *Store) Commit(ctx context.Context, study string, c scheduler.Change) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit study %q: %w", study, err)
	}
	if err := checkName(study); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if c.Empty() {
		return nil
	}
	t0 := time.Now()
	err := protect(func() error {
		return s.db.Update(func(tx *bbolt.Tx) error { return apply(ctx, tx, study, &c) })
	})
	if err != nil {
		return fmt.Errorf("commit study %q: %w", study, s.fail(s.fullDisk(err)))
	}
	probe.Get().StoreCommitted(time.Since(t0))
	s.live.add(study)
	if s.bk != nil {
		s.bk.committed()
	}
	return nil
}

// apply writes a change into the open transaction; any error rolls all of
// it back, including what was put before the error.
func apply(ctx context.Context, tx *bbolt.Tx, study string, c *scheduler.Change) error {
	studies := tx.Bucket(bucketStudies)
	sb := studies.Bucket([]byte(study))
	if sb == nil {
		if c.Study == nil {
			return fmt.Errorf("%w (its first commit must carry the study record)", scheduler.ErrStudyNotFound)
		}
		var err error
		if sb, err = studies.CreateBucket([]byte(study)); err != nil {
			return err
		}
		if _, err = sb.CreateBucket(bucketTrials); err != nil {
			return err
		}
		if _, err = sb.CreateBucket(bucketReports); err != nil {
			return err
		}
	}
	if c.Study != nil {
		if c.Study.Name != study {
			return fmt.Errorf("study record is named %q", c.Study.Name)
		}
		if err := putJSON(sb, keyConfig, c.Study); err != nil {
			return fmt.Errorf("study record: %w", err)
		}
	}
	if c.Snapshot != nil {
		if err := putJSON(sb, keySnapshot, c.Snapshot); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	tb := sb.Bucket(bucketTrials)
	tb.FillPercent = fillPercent
	for i := range c.Trials {
		r := &c.Trials[i]
		if r.ID < 0 {
			return fmt.Errorf("trial record with negative id %d", r.ID)
		}
		if err := putJSON(tb, trialKey(r.ID), r); err != nil {
			return fmt.Errorf("trial %d: %w", r.ID, err)
		}
	}
	rb := sb.Bucket(bucketReports)
	rb.FillPercent = fillPercent
	for i := range c.Reports {
		r := &c.Reports[i]
		if r.ID < 0 {
			return fmt.Errorf("report of negative trial id %d", r.ID)
		}
		if math.IsNaN(r.Step) || math.IsInf(r.Step, 0) {
			return fmt.Errorf("report of trial %d: step %v is not finite", r.ID, r.Step)
		}
		if err := putJSON(rb, reportKey(r.ID, r.Step), r); err != nil {
			return fmt.Errorf("report of trial %d step %v: %w", r.ID, r.Step, err)
		}
	}
	if err := keepLogs(sb, study, c.Logs); err != nil {
		return err
	}
	// Last chance to give up: after this bbolt writes and syncs.
	return ctx.Err()
}

// putJSON encodes v and stores it framed with its checksum (checksum.go),
// in a fresh slice (bbolt keeps it until commit).
func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return b.Put(key, frame(key, data))
}
