package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"automl/backends/storetest"
	"automl/scheduler"
	"automl/trial"
)

// flipFixture writes study "s" (30 trials, 2 reports each, a snapshot) in
// one commit to a new store, so that every record is in the file once.
func flipFixture(t *testing.T) (string, scheduler.Change) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "automl.db")
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	c := scheduler.Change{Study: storetest.StudyConfig("s", "minimize"), Snapshot: storetest.Snapshot(30)}
	states := []trial.State{trial.Completed, trial.Failed, trial.Running, trial.Pruned}
	for id := range 30 {
		c.Trials = append(c.Trials, storetest.Record(id, states[id%len(states)], float64(id)/7))
		c.Reports = append(c.Reports, storetest.Report(id, 1, float64(id)), storetest.Report(id, 2.5, float64(id)/2))
	}
	if err := s.Commit(context.Background(), "s", c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, c
}

// storedRecord is one record as it lies in the file.
type storedRecord struct {
	kind   string
	trial  int
	step   float64
	key    []byte
	offset int // of its framed value in the file
	size   int
}

// locate finds every record's framed value in the file's bytes.
func locate(t *testing.T, path string, file []byte) []storedRecord {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var recs []storedRecord
	add := func(kind string, k, v []byte) error {
		i := bytes.Index(file, v)
		if i < 0 || bytes.LastIndex(file, v) != i {
			return fmt.Errorf("%s %x: value not in the file exactly once", kind, k)
		}
		r := storedRecord{kind: kind, key: bytes.Clone(k), offset: i, size: len(v)}
		if kind == kindTrial || kind == kindReport {
			d := damaged("s", kind, k, "")
			r.trial, r.step = d.trial, d.step
		}
		recs = append(recs, r)
		return nil
	}
	err = db.View(func(tx *bbolt.Tx) error {
		sb := tx.Bucket(bucketStudies).Bucket([]byte("s"))
		if err := add(kindStudy, keyConfig, sb.Get(keyConfig)); err != nil {
			return err
		}
		if err := add(kindSnapshot, keySnapshot, sb.Get(keySnapshot)); err != nil {
			return err
		}
		if err := sb.Bucket(bucketTrials).ForEach(func(k, v []byte) error { return add(kindTrial, k, v) }); err != nil {
			return err
		}
		return sb.Bucket(bucketReports).ForEach(func(k, v []byte) error { return add(kindReport, k, v) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestBitFlipsInValuesAreDetected flips 200 random bits inside stored
// values (payload or checksum) and checks that every one is refused,
// naming its record: by Open (the check on open), and by the reads of a
// store opened before the flip (Load, Studies, Reports, on the file and
// through a writer's socket). Nothing read ever differs from what was
// committed.
func TestBitFlipsInValuesAreDetected(t *testing.T) {
	ctx := context.Background()
	path, committed := flipFixture(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := locate(t, path, orig)
	if len(recs) != 2+30+60 {
		t.Fatalf("%d records located", len(recs))
	}
	// A store opened before the damage, with a reader through its socket.
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := s.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Trials) != len(committed.Trials) {
		t.Fatalf("%d trials", len(want.Trials))
	}
	// What the reader sees: the same, but the study, recorded as running
	// and run by no process (s never committed to it), as interrupted.
	seen := *want.Study
	markStaleStudy(&seen, noneLive)
	wantRead := want
	wantRead.Study = &seen

	rng := rand.New(rand.NewPCG(16, 7))
	silent := 0 // flips whose payload would still decode: silent without checksums
	const flips = 200
	for n := range flips {
		rec := recs[rng.IntN(len(recs))]
		bit := rng.IntN(rec.size * 8)
		at := rec.offset + bit/8
		damagedFile := bytes.Clone(orig)
		damagedFile[at] ^= 1 << (bit % 8)
		if bit/8 >= frameHeader && stillDecodes(rec.kind, damagedFile[rec.offset+frameHeader:rec.offset+rec.size]) {
			silent++
		}
		where := fmt.Sprintf("flip %d: bit %d of %s %d (step %v)", n, bit, rec.kind, rec.trial, rec.step)
		wantMsg := fmt.Sprintf(`study "s" %s`, rec.kind)
		if rec.kind == kindTrial || rec.kind == kindReport {
			wantMsg = fmt.Sprintf(`study "s" trial %d`, rec.trial)
		}

		// 1. Open refuses the damaged file.
		copyPath := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(copyPath, damagedFile, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(copyPath, &Options{NoServe: true})
		checkRefused(t, where+": Open", err, wantMsg)
		_, err = OpenReader(copyPath)
		checkRefused(t, where+": OpenReader", err, wantMsg)

		// 2. The reads of the open store refuse it too.
		if _, err := f.WriteAt(damagedFile[at:at+1], int64(at)); err != nil {
			t.Fatal(err)
		}
		readers := []scheduler.Reader{s}
		if n%10 == 0 {
			readers = append(readers, r)
		}
		for _, rd := range readers {
			name := fmt.Sprintf("%T", rd)
			st, err := rd.Load(ctx, "s")
			if rec.kind == kindReport {
				if exp := map[bool]scheduler.StudyState{true: want, false: wantRead}[rd == scheduler.Reader(s)]; err != nil || !reflect.DeepEqual(st, exp) {
					t.Errorf("%s: %s Load (a report was damaged): %v", where, name, err)
				}
				reps, err := rd.Reports(ctx, "s", rec.trial)
				checkRefused(t, where+": "+name+" Reports", err, wantMsg)
				if reps != nil {
					t.Errorf("%s: %s Reports returned data", where, name)
				}
				continue
			}
			checkRefused(t, where+": "+name+" Load", err, wantMsg)
			if st.Study != nil || st.Trials != nil {
				t.Errorf("%s: %s Load returned data", where, name)
			}
			infos, err := rd.Studies(ctx)
			if rec.kind == kindSnapshot { // a listing does not read snapshots
				if err != nil || len(infos) != 1 {
					t.Errorf("%s: %s Studies: %v", where, name, err)
				}
				continue
			}
			checkRefused(t, where+": "+name+" Studies", err, wantMsg)
			if infos != nil {
				t.Errorf("%s: %s Studies returned data", where, name)
			}
		}
		if _, err := f.WriteAt(orig[at:at+1], int64(at)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d bit flips inside values, all refused; %d of them left a payload that still decodes (silent damage without checksums)", flips, silent)
}

func stillDecodes(kind string, payload []byte) bool {
	var v any
	switch kind {
	case kindTrial:
		v = new(trial.Record)
	case kindReport:
		v = new(scheduler.Report)
	case kindSnapshot:
		v = new(scheduler.Snapshot)
	default:
		v = new(scheduler.Study)
	}
	return json.Unmarshal(payload, v) == nil
}

func checkRefused(t *testing.T, where string, err error, wantMsg string) {
	t.Helper()
	var de *DamagedError
	if !errors.As(err, &de) || !errors.Is(err, ErrCorrupt) {
		t.Errorf("%s: err = %v, want a *DamagedError wrapping ErrCorrupt", where, err)
		return
	}
	msg := err.Error()
	for _, w := range []string{wantMsg, "automl check --db", "restore"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: error lacks %q:\n%s", where, w, msg)
		}
	}
}

// TestNotAStudyFileLeftUntouched: empty, foreign and bbolt-but-foreign
// files are refused by Open and OpenReader with ErrNotStore, and their
// bytes stay as they were (automl search once started over in an empty
// file).
func TestNotAStudyFileLeftUntouched(t *testing.T) {
	random := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	sqlite := append([]byte("SQLite format 3\x00"), make([]byte, 8192)...)
	foreignBolt := func(noFreelist bool) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			db, err := bbolt.Open(path, 0o600, &bbolt.Options{NoFreelistSync: noFreelist})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err }); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
	}
	write := func(b []byte) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name, want string
		make       func(t *testing.T, path string)
	}{
		{"empty", "it is empty (0 bytes)", write(nil)},
		{"text", "no bbolt header", write([]byte("hello\n"))},
		{"random", "no bbolt header", write(random)},
		{"sqlite", "no bbolt header", write(sqlite)},
		{"another program's bbolt file", "no meta bucket", foreignBolt(false)},
		{"a bbolt file without freelist", "without a stored freelist", foreignBolt(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "automl.db")
			tc.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for name, open := range map[string]func() error{
				"Open":       func() error { _, err := Open(path, nil); return err },
				"OpenReader": func() error { _, err := OpenReader(path); return err },
				"Check": func() error {
					res, err := Check(context.Background(), path)
					if err != nil {
						return err
					}
					return res.Err()
				},
			} {
				err := open()
				var de *DamagedError
				if name != "Check" && !errors.As(err, &de) {
					t.Errorf("%s: err = %v, want a *DamagedError", name, err)
				}
				if !errors.Is(err, ErrNotStore) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: err = %v, want ErrNotStore saying %q", name, err, tc.want)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, before) {
				t.Errorf("the refused file changed: %d bytes before, %d after", len(before), len(after))
			}
			if _, err := os.Stat(ownerPath(path)); err == nil {
				t.Error("an owner file was left beside the refused file")
			}
		})
	}
}

// TestOverwritten4KiBRefused: 4 KiB of garbage in the middle of a study
// file is refused by Open and OpenReader, and Check lists it.
func TestOverwritten4KiBRefused(t *testing.T) {
	path := bigFixture(t)
	overwrite4KiB(t, path)
	before, _ := os.ReadFile(path)
	_, err := Open(path, nil)
	var de *DamagedError
	if !errors.As(err, &de) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open: err = %v, want *DamagedError", err)
	}
	t.Logf("Open: %v", err)
	if _, err := OpenReader(path); !errors.As(err, &de) {
		t.Errorf("OpenReader: err = %v, want *DamagedError", err)
	}
	res, err := Check(context.Background(), path)
	if err != nil || res.Clean() {
		t.Fatalf("Check: %+v, %v", res, err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("the refused file changed")
	}
}

// overwrite4KiB writes 4 KiB of random bytes over the page in the middle
// of the file.
func overwrite4KiB(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	junk := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	if _, err := f.WriteAt(junk, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedPageHeadersRefused: page damage that makes bbolt itself
// fault, loop for hours or allocate without bound (a huge overflow count,
// a branch pointing at itself, an element past its page, a huge freelist
// count) is refused by Open, OpenReader and Check, quickly, without a
// crash: the walk from the file's bytes finds it before bbolt reads it.
func TestDamagedPageHeadersRefused(t *testing.T) {
	path := bigFixture(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	pageSize := db.Info().PageSize
	var leaf, branch int
	var freelist int
	err = db.View(func(tx *bbolt.Tx) error {
		for id := 2; int64(id*pageSize) < tx.Size(); id++ {
			p, err := tx.Page(id)
			if err != nil {
				return err
			}
			switch {
			case p.Type == "leaf" && p.Count > 1 && leaf == 0:
				leaf = id
			case p.Type == "branch" && branch == 0:
				branch = id
			case p.Type == "freelist":
				freelist = id
			}
			id += p.OverflowCount
		}
		return nil
	})
	db.Close()
	if err != nil || leaf == 0 || branch == 0 || freelist == 0 {
		t.Fatalf("pages: leaf %d, branch %d, freelist %d, %v", leaf, branch, freelist, err)
	}
	put32 := func(b []byte, at int, v uint32) { ne.PutUint32(b[at:], v) }
	for _, tc := range []struct {
		name, want string
		damage     func(b []byte)
	}{
		{"huge overflow", "overflow of", func(b []byte) { put32(b, leaf*pageSize+12, 0xFFFFFFF0) }},
		{"branch points at itself", "reached twice", func(b []byte) {
			ne.PutUint64(b[branch*pageSize+boltPageHeader+8:], uint64(branch))
		}},
		{"element past its page", "lies outside its page", func(b []byte) {
			put32(b, leaf*pageSize+boltPageHeader+12, 1<<30) // vsize of element 0
		}},
		{"huge freelist count", "do not fit its page", func(b []byte) {
			ne.PutUint16(b[freelist*pageSize+10:], 0xFFFF)
			ne.PutUint64(b[freelist*pageSize+boltPageHeader:], 1<<50)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(orig)
			tc.damage(b)
			p := filepath.Join(t.TempDir(), "automl.db")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			done := make(chan []error, 1)
			go func() {
				var errs []error
				_, err := Open(p, &Options{NoServe: true})
				errs = append(errs, err)
				_, err = OpenReader(p)
				errs = append(errs, err)
				res, err := Check(context.Background(), p)
				if err == nil {
					err = res.Err()
				}
				done <- append(errs, err)
			}()
			select {
			case errs := <-done:
				for i, err := range errs {
					if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
						t.Errorf("%s: err = %v, want ErrCorrupt saying %q", []string{"Open", "OpenReader", "Check"}[i], err, tc.want)
					}
				}
			case <-time.After(time.Minute):
				t.Fatal("no answer within a minute")
			}
		})
	}
}
