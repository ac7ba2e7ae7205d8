package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"automl/scheduler"
	"automl/trial/triallog"
)

// Trainer logs (schema 3): a study's bucket "logs" holds, per trial
// attempt, the log's bookkeeping (triallog.Meta) under a 12-byte key and
// its chunks (triallog.Stored) under 20-byte keys that start with it, in
// (delivery, seq) order:
//
//	<id: 8><attempt: 4>                       -> framed JSON triallog.Meta
//	<id: 8><attempt: 4><delivery: 4><seq: 4>  -> framed JSON triallog.Stored
//
// triallog.Keep cuts the oldest lines of an attempt over its limit, so a
// commit of new lines rewrites or deletes at most a few old chunks.

var bucketLogs = []byte("logs")

const kindLog = "log"

func logKey(id, attempt int) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 20), uint64(id))
	return binary.BigEndian.AppendUint32(k, uint32(attempt))
}

func chunkKey(prefix []byte, p triallog.Pos) []byte {
	k := append(bytes.Clone(prefix), make([]byte, 0, 8)...)
	k = binary.BigEndian.AppendUint32(k, uint32(p.Delivery))
	return binary.BigEndian.AppendUint32(k, uint32(p.Seq))
}

// keepLogs stores a change's log lines (triallog.Keep).
func keepLogs(sb *bbolt.Bucket, study string, parts []triallog.Part) error {
	if len(parts) == 0 {
		return nil
	}
	lb, err := sb.CreateBucketIfNotExists(bucketLogs)
	if err != nil {
		return err
	}
	lb.FillPercent = fillPercent
	for _, p := range parts {
		if p.ID < 0 || p.Attempt < 1 || p.Delivery < 0 || p.Seq < 1 || p.Attempt > 1<<31 || p.Delivery > 1<<31 || p.Seq > 1<<31 {
			return fmt.Errorf("log lines of trial %d attempt %d, delivery %d, chunk %d: out of range", p.ID, p.Attempt, p.Delivery, p.Seq)
		}
		sh := &shelf{b: lb, study: study, prefix: logKey(p.ID, p.Attempt), id: p.ID}
		m, err := sh.meta()
		if err != nil {
			return err
		}
		changed, err := triallog.Keep(&m, p, sh)
		if err != nil {
			return fmt.Errorf("log of trial %d attempt %d: %w", p.ID, p.Attempt, err)
		}
		if changed {
			if err := putJSON(lb, sh.prefix, &m); err != nil {
				return fmt.Errorf("log of trial %d attempt %d: %w", p.ID, p.Attempt, err)
			}
		}
	}
	return nil
}

// shelf is one attempt's chunks in the logs bucket (triallog.Shelf).
type shelf struct {
	b      *bbolt.Bucket
	study  string
	prefix []byte // logKey of the attempt
	id     int
}

func (s *shelf) meta() (triallog.Meta, error) {
	var m triallog.Meta
	v := s.b.Get(s.prefix)
	if v == nil {
		return m, nil
	}
	p, err := readRecord(s.study, kindLog, s.prefix, v)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(p, &m); err != nil {
		return m, damaged(s.study, kindLog, s.prefix, "does not decode: "+err.Error())
	}
	return m, nil
}

func (s *shelf) Has(p triallog.Pos) (bool, error) {
	return s.b.Get(chunkKey(s.prefix, p)) != nil, nil
}

func (s *shelf) Put(c triallog.Stored) error {
	return putJSON(s.b, chunkKey(s.prefix, c.Pos()), &c)
}

// oldestKey is the key of the attempt's first chunk (nil: none).
func (s *shelf) oldestKey() ([]byte, []byte) {
	c := s.b.Cursor()
	for k, v := c.Seek(s.prefix); k != nil && bytes.HasPrefix(k, s.prefix); k, v = c.Next() {
		if len(k) == 20 {
			return k, v
		}
	}
	return nil, nil
}

func (s *shelf) Oldest() (triallog.Stored, bool, error) {
	k, v := s.oldestKey()
	if k == nil {
		return triallog.Stored{}, false, nil
	}
	c, err := s.decode(k, v)
	return c, err == nil, err
}

func (s *shelf) decode(k, v []byte) (triallog.Stored, error) {
	var c triallog.Stored
	p, err := readRecord(s.study, kindLog, k, v)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(p, &c); err != nil {
		return c, damaged(s.study, kindLog, k, "does not decode: "+err.Error())
	}
	return c, nil
}

func (s *shelf) ReplaceOldest(c triallog.Stored) error { return s.Put(c) }

func (s *shelf) DeleteOldest() error {
	k, _ := s.oldestKey()
	if k == nil {
		return nil
	}
	return s.b.Delete(bytes.Clone(k))
}

// Log returns what q asks of a trial attempt's log.
func (s *Store) Log(ctx context.Context, study string, q triallog.Query) (triallog.Log, error) {
	l, err := readLog(ctx, s.db, study, q)
	return l, s.fail(err)
}

// readLog reads a log in one read transaction: the trial's state, the
// attempts with a log, and the chunks q asks for (for a tail, from the
// newest back).
func readLog(ctx context.Context, db *bbolt.DB, study string, q triallog.Query) (triallog.Log, error) {
	out := triallog.Log{ID: q.ID}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	err := protect(func() error {
		return db.View(func(tx *bbolt.Tx) error {
			sb := studyBucket(tx, study)
			if sb == nil {
				return fmt.Errorf("log of trial %d: study %q: %w", q.ID, study, scheduler.ErrStudyNotFound)
			}
			tb, err := subBucket(sb, study, bucketTrials)
			if err != nil {
				return err
			}
			k := trialKey(q.ID)
			v := tb.Get(k)
			if v == nil || q.ID < 0 {
				return fmt.Errorf("study %q: trial %d: %w", study, q.ID, triallog.ErrNoTrial)
			}
			p, err := readRecord(study, kindTrial, k, v)
			if err != nil {
				return err
			}
			var rec struct {
				State   string `json:"state"`
				Attempt int    `json:"attempt"`
			}
			if err := json.Unmarshal(p, &rec); err != nil {
				return damaged(study, kindTrial, k, "does not decode: "+err.Error())
			}
			out.State, out.Current, out.Attempt = rec.State, rec.Attempt, q.Attempt
			if out.Attempt == 0 {
				out.Attempt = rec.Attempt
			}
			lb := sb.Bucket(bucketLogs)
			if lb == nil {
				return nil
			}
			return readAttempt(lb, study, q, &out)
		})
	})
	return out, err
}

func readAttempt(lb *bbolt.Bucket, study string, q triallog.Query, out *triallog.Log) error {
	c := lb.Cursor()
	id := trialKey(q.ID)
	for k, _ := c.Seek(id); k != nil && bytes.HasPrefix(k, id); k, _ = c.Next() {
		if len(k) == 12 {
			out.Attempts = append(out.Attempts, int(binary.BigEndian.Uint32(k[8:])))
		}
	}
	sh := &shelf{b: lb, study: study, prefix: logKey(q.ID, out.Attempt), id: q.ID}
	m, err := sh.meta()
	if err != nil || lb.Get(sh.prefix) == nil {
		return err
	}
	out.Bytes, out.Total, out.Dropped, out.Worker, out.Last = m.Bytes, m.Lines, m.Dropped, m.Worker, m.Last
	var chunks []triallog.Stored
	first := true
	switch {
	case q.After != (triallog.Pos{}):
		first = false
		for k, v := c.Seek(chunkKey(sh.prefix, q.After)); k != nil && bytes.HasPrefix(k, sh.prefix); k, v = c.Next() {
			if len(k) != 20 || bytes.Equal(k, chunkKey(sh.prefix, q.After)) {
				continue
			}
			ch, err := sh.decode(k, v)
			if err != nil {
				return err
			}
			chunks = append(chunks, ch)
		}
		out.Lines = triallog.Assemble(m, chunks, false, q.After)
		return nil
	case q.Tail > 0:
		// From the newest chunk back, until the chunks hold more lines
		// than asked (so a note before them is not taken for a line).
		k, v := c.Seek(logKey(q.ID, out.Attempt+1))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		n := 0
		for ; k != nil && bytes.HasPrefix(k, sh.prefix) && n <= q.Tail; k, v = c.Prev() {
			if len(k) != 20 {
				continue
			}
			ch, err := sh.decode(k, v)
			if err != nil {
				return err
			}
			chunks = append([]triallog.Stored{ch}, chunks...)
			n += len(ch.Lines)
		}
		first = k == nil || !bytes.HasPrefix(k, sh.prefix) || len(k) == 12
	default:
		for k, v := c.Seek(sh.prefix); k != nil && bytes.HasPrefix(k, sh.prefix); k, v = c.Next() {
			if len(k) != 20 {
				continue
			}
			ch, err := sh.decode(k, v)
			if err != nil {
				return err
			}
			chunks = append(chunks, ch)
		}
	}
	out.Lines = triallog.TailLines(triallog.Assemble(m, chunks, first, triallog.Pos{}), q.Tail)
	return nil
}
