package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"automl/backends/storetest"
	"automl/scheduler"
	"automl/trial"
)

func TestFrameRoundTrip(t *testing.T) {
	key := trialKey(7)
	payload := []byte(`{"id":7}`)
	v := frame(key, payload)
	if len(v) != frameHeader+len(payload) || v[0] != frameV1 {
		t.Fatalf("frame = %x", v)
	}
	p, err := unframe(key, v)
	if err != nil || !bytes.Equal(p, payload) {
		t.Fatalf("unframe = %q, %v", p, err)
	}
	for name, tc := range map[string]struct {
		key, v []byte
		want   string
	}{
		"another key":   {trialKey(8), v, "checksum mismatch"},
		"bare JSON":     {key, payload, "no checksum"},
		"empty":         {key, nil, "empty value"},
		"short":         {key, v[:3], "shorter than its checksum"},
		"other format":  {key, append([]byte{0x02}, v[1:]...), "unknown record format 0x02"},
		"payload added": {key, append(bytes.Clone(v), ' '), "checksum mismatch"},
	} {
		if _, err := unframe(tc.key, tc.v); err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

func TestStepOfInvertsStepBits(t *testing.T) {
	for _, s := range []float64{-1e300, -2.5, -1, 0, 0.5, 1, 3, 1e300} {
		if got := stepOf(stepBits(s)); got != s {
			t.Errorf("stepOf(stepBits(%v)) = %v", s, got)
		}
	}
}

// FuzzReadRecord fuzzes the decoding of stored records: unframe (the
// checksum frame) and the JSON decoding behind it. Any value unframe
// accepts is exactly the frame of its payload, a frame with any one bit
// flipped is refused, and nothing panics.
func FuzzReadRecord(f *testing.F) {
	rec, _ := json.Marshal(storetest.Record(3, trial.Completed, 0.25))
	rep, _ := json.Marshal(storetest.Report(3, 2, 0.5))
	f.Add(trialKey(3), rec, uint16(0))
	f.Add(reportKey(3, 2), rep, uint16(77))
	f.Add(keyConfig, []byte(`{"name":"s"}`), uint16(9))
	f.Add(keySnapshot, []byte(`{"version":1,"next_id":4}`), uint16(40))
	f.Add([]byte{}, []byte{}, uint16(3))
	f.Add(trialKey(0), []byte{frameV1, 0, 0, 0}, uint16(1))
	f.Fuzz(func(t *testing.T, key, payload []byte, bit uint16) {
		v := frame(key, payload)
		p, err := unframe(key, v)
		if err != nil || !bytes.Equal(p, payload) {
			t.Fatalf("round trip: %q, %v", p, err)
		}
		flipped := bytes.Clone(v)
		flipped[int(bit)%len(flipped)] ^= 1 << (bit % 8)
		if _, err := unframe(key, flipped); err == nil {
			t.Fatalf("a flipped bit %d of %x was accepted", bit, v)
		}
		// The fuzzer's bytes as a stored value.
		p, err = unframe(key, payload)
		if err != nil {
			return
		}
		if !bytes.Equal(frame(key, p), payload) {
			t.Fatalf("accepted %x, which is not the frame of its payload", payload)
		}
		var r trial.Record
		var sr scheduler.Report
		var st scheduler.Study
		_ = json.Unmarshal(p, &r)
		_ = json.Unmarshal(p, &sr)
		_ = decodeStudy("s", p, &st)
	})
}

// FuzzOpenFile fuzzes opening a file as a study file (preflight's header
// parsing, bbolt, the check on open, reads): any bytes give a store or an
// error, never a crash, and an error about the file's content is a
// *DamagedError.
func FuzzOpenFile(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.db")
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		f.Fatal(err)
	}
	c := scheduler.Change{Study: storetest.StudyConfig("s", "minimize"), Snapshot: storetest.Snapshot(3)}
	for id := range 3 {
		c.Trials = append(c.Trials, storetest.Record(id, trial.Completed, float64(id)))
		c.Reports = append(c.Reports, storetest.Report(id, 1, 1))
	}
	if err := s.Commit(context.Background(), "s", c); err != nil {
		f.Fatal(err)
	}
	s.Close()
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:8192])
	f.Add([]byte{})
	f.Add([]byte("hello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "automl.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := OpenReader(p)
		if err != nil {
			var de *DamagedError
			if (errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotStore)) && !errors.As(err, &de) {
				t.Fatalf("damage without a DamagedError: %v", err)
			}
			return
		}
		defer r.Close()
		ctx := context.Background()
		if _, err := r.Studies(ctx); err == nil {
			_, _ = r.Load(ctx, "s")
			_, _ = r.Reports(ctx, "s", 1)
		}
	})
}
