package bolt

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Bucket names and keys of the tree drawn in doc.go.
var (
	bucketMeta       = []byte("meta")
	keySchemaVersion = []byte("schema_version")
	bucketStudies    = []byte("studies")
	keyConfig        = []byte("config")
	keySnapshot      = []byte("snapshot")
	bucketTrials     = []byte("trials")
	bucketReports    = []byte("reports")
)

// maxNameLen bounds study names (backends/memory has the same rule).
const maxNameLen = 255

func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty study name")
	case len(name) > maxNameLen:
		return fmt.Errorf("study name longer than %d bytes", maxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("study name is not valid UTF-8")
	}
	return nil
}

// trialKey is a trial id as 8 big-endian bytes, so keys sort by id.
func trialKey(id int) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(id))
}

// reportKey is the trial's key followed by the step's sortable bits.
func reportKey(id int, step float64) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(id))
	return binary.BigEndian.AppendUint64(k, stepBits(step))
}

// stepBits maps a finite step to a uint64 whose unsigned order is the
// numeric order of steps; -0 and +0 are one step.
func stepBits(step float64) uint64 {
	if step == 0 {
		step = 0
	}
	b := math.Float64bits(step)
	if b&(1<<63) != 0 {
		return ^b
	}
	return b | 1<<63
}

// stepOf is stepBits's inverse.
func stepOf(u uint64) float64 {
	if u&(1<<63) != 0 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}
