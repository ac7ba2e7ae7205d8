package bolt

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
)

// Every record value (a study's config and snapshot, a trial, a report)
// is stored framed: one format byte, then the CRC-32C (Castagnoli) of the
// record's key and payload, big-endian, then the payload (JSON):
//
//	[frameV1][crc32c(key || payload): 4 bytes][payload]
//
// bbolt checksums its meta pages only; a flipped bit inside a value would
// otherwise be read back as data. The key is covered too, so a record that
// a flipped key bit moved to another id does not pass either. CRC-32C
// detects every error of up to 32 adjacent bits and misses other damage
// with probability 2^-32; Go computes it with the CPU's CRC instruction,
// a few GB/s, so verifying on every read costs little beside decoding.
const (
	frameV1     byte = 0xC1
	frameHeader      = 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func recordSum(key, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, key), castagnoli, payload)
}

// frame returns payload framed for key, in a new slice.
func frame(key, payload []byte) []byte {
	out := make([]byte, frameHeader, frameHeader+len(payload))
	out[0] = frameV1
	binary.BigEndian.PutUint32(out[1:frameHeader], recordSum(key, payload))
	return append(out, payload...)
}

// unframe checks a stored value against its checksum and returns its
// payload (a subslice of v). The error says what is wrong, not where: the
// caller knows which record it read.
func unframe(key, v []byte) ([]byte, error) {
	switch {
	case len(v) == 0:
		return nil, fmt.Errorf("empty value (no checksum, no record)")
	case v[0] != frameV1:
		if v[0] == '{' {
			return nil, fmt.Errorf("no checksum (a record of an older schema that was not migrated)")
		}
		return nil, fmt.Errorf("unknown record format 0x%02x (want 0x%02x)", v[0], frameV1)
	case len(v) < frameHeader:
		return nil, fmt.Errorf("value of %d bytes is shorter than its checksum", len(v))
	}
	payload := v[frameHeader:]
	stored := binary.BigEndian.Uint32(v[1:frameHeader])
	if got := recordSum(key, payload); got != stored {
		return nil, fmt.Errorf("checksum mismatch (stored %08x, computed %08x): the record's bytes changed on disk", stored, got)
	}
	return payload, nil
}

// recordError is a damaged record of a study: which one and what is
// wrong. It wraps ErrCorrupt.
type recordError struct {
	study   string
	kind    string // "study record", "snapshot", "trial", "report"
	trial   int    // trials and reports
	step    float64
	problem string
}

func (e *recordError) Error() string {
	return e.where() + ": " + e.problem
}

func (e *recordError) where() string {
	s := "study " + strconv.Quote(e.study)
	switch e.kind {
	case kindTrial:
		return s + " trial " + strconv.Itoa(e.trial)
	case kindReport:
		return s + " trial " + strconv.Itoa(e.trial) + " report at step " + strconv.FormatFloat(e.step, 'g', -1, 64)
	case kindLog:
		return s + " trial " + strconv.Itoa(e.trial) + " log"
	}
	return s + " " + e.kind
}

func (e *recordError) Unwrap() error { return ErrCorrupt }

// The kinds of records.
const (
	kindStudy    = "study record"
	kindSnapshot = "snapshot"
	kindTrial    = "trial"
	kindReport   = "report"
)

// readRecord verifies a record read from the study's bucket; on damage it
// names the record.
func readRecord(study, kind string, key, v []byte) ([]byte, error) {
	payload, err := unframe(key, v)
	if err != nil {
		return nil, damaged(study, kind, key, err.Error())
	}
	return payload, nil
}

// damaged builds the error for a record, naming the trial (and step) its
// key says.
func damaged(study, kind string, key []byte, problem string) *recordError {
	e := &recordError{study: study, kind: kind, problem: problem}
	if (kind == kindTrial || kind == kindReport || kind == kindLog) && len(key) >= 8 {
		e.trial = int(binary.BigEndian.Uint64(key[:8]))
	}
	if kind == kindReport && len(key) == 16 {
		e.step = stepOf(binary.BigEndian.Uint64(key[8:]))
	}
	return e
}
