package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"

	"automl/scheduler"
	"automl/trial"
	"automl/trial/triallog"
)

// CheckResult is what a check of a study file found.
type CheckResult struct {
	File string `json:"file"`
	// Via names the running automl search that checked the file it holds;
	// empty when this process read the file itself.
	Via string `json:"via,omitempty"`
	// Refused: the file could not be read as a study file at all, and why.
	Refused string `json:"refused,omitempty"`
	// Pages are the problems the page check found (the page tree read
	// from the file's bytes, then bbolt's own consistency check: freelist,
	// reachability, key order), at most maxListed.
	Pages      []string `json:"pages,omitempty"`
	PageErrors int      `json:"page_errors"`
	// Counts of the records verified (checksum, decoding, key).
	Studies int `json:"studies"`
	Trials  int `json:"trials"`
	Reports int `json:"reports"`
	Logs    int `json:"logs"` // trainer log records (bookkeeping and chunks)
	// Damaged records, at most maxListed; DamagedCount counts all.
	Damaged      []Damage `json:"damaged,omitempty"`
	DamagedCount int      `json:"damaged_count"`

	refusal error // Refused's error, with what it wraps
}

// Damage is one damaged record.
type Damage struct {
	Study   string   `json:"study,omitempty"`
	Record  string   `json:"record"` // study record, snapshot, trial, report, or what else it is
	Trial   *int     `json:"trial,omitempty"`
	Step    *float64 `json:"step,omitempty"`
	Problem string   `json:"problem"`
}

// Clean reports whether the check found nothing wrong.
func (r *CheckResult) Clean() bool {
	return r.Refused == "" && r.PageErrors == 0 && r.DamagedCount == 0
}

// Err is nil for a clean result, else an error wrapping ErrCorrupt (or
// ErrNotStore) that says what was found first and how much in all.
func (r *CheckResult) Err() error {
	switch {
	case r.refusal != nil:
		return r.refusal
	case r.Refused != "":
		return fmt.Errorf("%w: %s", ErrCorrupt, r.Refused)
	case r.PageErrors > 0:
		return fmt.Errorf("%w: %s%s", ErrCorrupt, r.Pages[0], more(r.PageErrors-1, "problem"))
	case r.DamagedCount > 0:
		return fmt.Errorf("%w%s", r.Damaged[0].err(), more(r.DamagedCount-1, "damaged record"))
	}
	return nil
}

func more(n int, what string) string {
	if n <= 0 {
		return ""
	}
	s := "s"
	if n == 1 {
		s = ""
	}
	return fmt.Sprintf(" (and %d more %s%s)", n, what, s)
}

// maxListed bounds the problems a result lists; it counts them all.
const maxListed = 1000

// checker accumulates a check. It is not goroutine-safe.
type checker struct {
	res CheckResult
	// decode: also decode every record (automl check); the check on
	// open verifies checksums only.
	decode bool
}

// err is the damage as the error a read would have given.
func (d Damage) err() *recordError {
	e := &recordError{study: d.Study, kind: d.Record, problem: d.Problem}
	if d.Trial != nil {
		e.trial = *d.Trial
	}
	if d.Step != nil {
		e.step = *d.Step
	}
	return e
}

func (c *checker) damage(e *recordError) {
	c.res.DamagedCount++
	if len(c.res.Damaged) >= maxListed {
		return
	}
	d := Damage{Study: e.study, Record: e.kind, Problem: e.problem}
	if e.kind == kindTrial || e.kind == kindReport || e.kind == kindLog {
		id := e.trial
		d.Trial = &id
	}
	if e.kind == kindReport {
		step := e.step
		d.Step = &step
	}
	c.res.Damaged = append(c.res.Damaged, d)
}

// pages checks the pages of the file tx reads from the file's bytes
// (pageWalk): bounds, types, key order within each page, each page
// reached once, none both in use and free. It returns whether they hold.
// It must not run while another transaction commits: the caller makes
// sure none does (the file is not open for writing, or tx is a write
// transaction that it rolls back).
func (c *checker) pages(tx *bbolt.Tx) bool {
	if err := walkPages(tx.DB().Path()); err != nil {
		c.res.PageErrors++
		c.res.Pages = append(c.res.Pages, describe(err))
		return false
	}
	return true
}

// structure is pages, then, when they hold, bbolt's own Tx.Check (which
// also finds pages neither in use nor free and checks key order across
// pages). Tx.Check runs in a goroutine of its own, where a memory fault on
// a damaged page cannot be recovered and ends the process, and it trusts
// page headers (a damaged overflow count makes it loop for hours): the
// walk from the bytes refuses such pages first. Same conditions as pages.
func (c *checker) structure(tx *bbolt.Tx) bool {
	if !c.pages(tx) {
		return false
	}
	for err := range tx.Check() {
		c.res.PageErrors++
		if len(c.res.Pages) < maxListed {
			c.res.Pages = append(c.res.Pages, err.Error())
		}
	}
	return c.res.PageErrors == 0
}

// records verifies every record of the file: its checksum, that it is
// where it belongs and, with decode, that it decodes to its type and
// agrees with its key.
func (c *checker) records(tx *bbolt.Tx) error {
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		switch {
		case bytes.Equal(name, bucketMeta):
			if _, _, err := readVersion(tx); err != nil {
				c.damage(&recordError{kind: "schema version", problem: err.Error()})
			}
			return nil
		case bytes.Equal(name, bucketStudies):
			return b.ForEach(func(k, v []byte) error {
				if v != nil {
					c.damage(&recordError{study: string(k), kind: "entry of the studies bucket", problem: "a value where a study's bucket belongs"})
					return nil
				}
				c.res.Studies++
				return c.study(b.Bucket(k), string(k))
			})
		}
		c.damage(&recordError{study: "", kind: "top-level bucket " + strconv.Quote(string(name)), problem: "not part of a study file"})
		return nil
	})
}

func (c *checker) study(sb *bbolt.Bucket, study string) error {
	config, err := readRecord(study, kindStudy, keyConfig, sb.Get(keyConfig))
	if sb.Get(keyConfig) == nil {
		c.damage(&recordError{study: study, kind: kindStudy, problem: "missing"})
	} else if err != nil {
		c.damage(err.(*recordError))
	} else {
		var st scheduler.Study
		if err := decodeStudy(study, config, &st); err != nil {
			c.damage(err.(*recordError))
		}
	}
	if v := sb.Get(keySnapshot); v != nil {
		p, err := readRecord(study, kindSnapshot, keySnapshot, v)
		if err == nil && c.decode {
			var snap scheduler.Snapshot
			if jerr := json.Unmarshal(p, &snap); jerr != nil {
				err = &recordError{study: study, kind: kindSnapshot, problem: "does not decode: " + jerr.Error()}
			}
		}
		if err != nil {
			c.damage(err.(*recordError))
		}
	}
	err = sb.ForEach(func(k, v []byte) error {
		isBucket := v == nil
		switch string(k) {
		case string(keyConfig), string(keySnapshot):
			if !isBucket {
				return nil
			}
		case string(bucketTrials), string(bucketReports), string(bucketLogs):
			if isBucket {
				return nil
			}
		}
		c.damage(&recordError{study: study, kind: "key " + strconv.Quote(string(k)), problem: "not part of a study"})
		return nil
	})
	if err != nil {
		return err
	}
	for _, sub := range []struct {
		name []byte
		fn   func(k, v []byte) *recordError
	}{{bucketTrials, c.trialRecord(study)}, {bucketReports, c.reportRecord(study)}} {
		b, err := subBucket(sb, study, sub.name)
		if err != nil {
			c.damage(err.(*recordError))
			continue
		}
		if err := b.ForEach(func(k, v []byte) error {
			if e := sub.fn(k, v); e != nil {
				c.damage(e)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if lb := sb.Bucket(bucketLogs); lb != nil {
		return lb.ForEach(func(k, v []byte) error {
			if e := c.logRecord(study, k, v); e != nil {
				c.damage(e)
			}
			return nil
		})
	}
	return nil
}

// logRecord checks a record of the logs bucket: an attempt's bookkeeping
// (12-byte key) or one of its chunks (20 bytes).
func (c *checker) logRecord(study string, k, v []byte) *recordError {
	c.res.Logs++
	if (len(k) != 12 && len(k) != 20) || v == nil {
		return damaged(study, kindLog, k, fmt.Sprintf("a key of %d bytes or a bucket where a log record belongs", len(k)))
	}
	p, err := readRecord(study, kindLog, k, v)
	if err != nil || !c.decode {
		return asRecordError(err)
	}
	id, attempt := int(binary.BigEndian.Uint64(k)), int(binary.BigEndian.Uint32(k[8:]))
	if len(k) == 12 {
		var m triallog.Meta
		if err := json.Unmarshal(p, &m); err != nil {
			return damaged(study, kindLog, k, "does not decode: "+err.Error())
		}
		if m.ID != id || m.Attempt != attempt {
			return damaged(study, kindLog, k, fmt.Sprintf("holds the log of trial %d attempt %d", m.ID, m.Attempt))
		}
		return nil
	}
	var s triallog.Stored
	if err := json.Unmarshal(p, &s); err != nil {
		return damaged(study, kindLog, k, "does not decode: "+err.Error())
	}
	if !bytes.Equal(chunkKey(k[:12], s.Pos()), k) {
		return damaged(study, kindLog, k, fmt.Sprintf("holds chunk %d of delivery %d", s.Seq, s.Delivery))
	}
	return nil
}

func (c *checker) trialRecord(study string) func(k, v []byte) *recordError {
	return func(k, v []byte) *recordError {
		c.res.Trials++
		if len(k) != 8 || v == nil {
			return damaged(study, kindTrial, k, fmt.Sprintf("a key of %d bytes or a bucket where a trial record belongs", len(k)))
		}
		p, err := readRecord(study, kindTrial, k, v)
		if err != nil || !c.decode {
			return asRecordError(err)
		}
		var r trial.Record
		if err := json.Unmarshal(p, &r); err != nil {
			return damaged(study, kindTrial, k, "does not decode: "+err.Error())
		}
		if id := binary.BigEndian.Uint64(k); uint64(r.ID) != id {
			return damaged(study, kindTrial, k, fmt.Sprintf("holds the record of trial %d", r.ID))
		}
		return nil
	}
}

func (c *checker) reportRecord(study string) func(k, v []byte) *recordError {
	return func(k, v []byte) *recordError {
		c.res.Reports++
		if len(k) != 16 || v == nil {
			return damaged(study, kindReport, k, fmt.Sprintf("a key of %d bytes or a bucket where a report belongs", len(k)))
		}
		p, err := readRecord(study, kindReport, k, v)
		if err != nil || !c.decode {
			return asRecordError(err)
		}
		var r scheduler.Report
		if err := json.Unmarshal(p, &r); err != nil {
			return damaged(study, kindReport, k, "does not decode: "+err.Error())
		}
		if !bytes.Equal(reportKey(r.ID, r.Step), k) {
			return damaged(study, kindReport, k, fmt.Sprintf("holds the report of trial %d at step %v", r.ID, r.Step))
		}
		return nil
	}
}

func asRecordError(err error) *recordError {
	if err == nil {
		return nil
	}
	return err.(*recordError)
}

// checkOpen is the check every open runs: the pages from the file's bytes
// (not bbolt's Tx.Check, which Check adds), then every record's checksum
// (no decoding: reads decode what they use). It needs what checker.pages
// needs, and runs under protect.
func checkOpen(tx *bbolt.Tx) error {
	c := checker{}
	if c.pages(tx) {
		if err := c.records(tx); err != nil {
			return err
		}
	}
	return c.res.Err()
}

// checkStructure is the check of the pages alone, as an error.
func checkStructure(tx *bbolt.Tx) error {
	c := checker{}
	c.structure(tx)
	return c.res.Err()
}
