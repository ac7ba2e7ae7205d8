package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"automl/scheduler"
)

// withSchema makes this code a version-v automl with the given migrations
// for the rest of the test.
func withSchema(t *testing.T, v int, ms map[int]migration) {
	oldV, oldM := schemaVersion, migrations
	schemaVersion, migrations = v, ms
	t.Cleanup(func() { schemaVersion, migrations = oldV, oldM })
}

// schema1 is what the fixture testdata/schema1.db holds, as the schema-1
// code read it back (testdata/schema1.json).
type schema1Study struct {
	State   scheduler.StudyState
	Reports map[int][]scheduler.Report
}

// v1Fixture copies testdata/schema1.db, written by automl at d937a55
// (schema 1: records as bare JSON; study "a" with 12 trials of every
// state and 4 reports each at steps -1, 0.5, 1, 2; study "b" with its
// study record alone), and returns the copy's path.
func v1Fixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schema1.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if v := fileVersion(t, path); v != 1 {
		t.Fatalf("fixture has schema version %d, want 1", v)
	}
	return path
}

// realMigrations are this code's migrations, for tests that replace them.
var realMigrations = migrations

func fileVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.View(func(tx *bbolt.Tx) (err error) { v, _, err = readVersion(tx); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}

// tagStudies is a test migration of a store with checksums: it sets
// every study's Reason.
func tagStudies(reason string, fail bool) migration {
	return migration{name: "tag studies", up: func(tx *bbolt.Tx) error {
		studies := tx.Bucket(bucketStudies)
		return studies.ForEach(func(name, _ []byte) error {
			sb := studies.Bucket(name)
			p, err := readRecord(string(name), kindStudy, keyConfig, sb.Get(keyConfig))
			if err != nil {
				return err
			}
			var st scheduler.Study
			if err := json.Unmarshal(p, &st); err != nil {
				return err
			}
			st.Reason = reason
			if err := putJSON(sb, keyConfig, &st); err != nil {
				return err
			}
			if fail && string(name) == "b" { // fail after changing study a
				return errors.New("disk on fire")
			}
			return nil
		})
	}}
}

func TestMigrationRuns(t *testing.T) {
	path := v1Fixture(t)
	withSchema(t, 4, map[int]migration{1: realMigrations[1], 2: tagStudies("v3", false), 3: tagStudies("v4", false)})
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatalf("Open of a v1 store with migrations to v4: %v", err)
	}
	for _, name := range []string{"a", "b"} {
		st, err := s.Load(context.Background(), name)
		if err != nil || st.Study == nil || st.Study.Reason != "v4" {
			t.Errorf("study %s after migration: %+v, %v (want reason v4: migrations in order)", name, st.Study, err)
		}
	}
	s.Close()
	if v := fileVersion(t, path); v != 4 {
		t.Errorf("schema version after migration = %d, want 4", v)
	}
}

func TestMigrationFailureChangesNothing(t *testing.T) {
	path := v1Fixture(t)
	before, _ := os.ReadFile(path)
	withSchema(t, 3, map[int]migration{1: realMigrations[1], 2: tagStudies("v3", true)})
	if _, err := Open(path, &Options{NoServe: true}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Open with a failing migration: err = %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a failed migration changed the file")
	}
	withSchema(t, 2, realMigrations)
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Load(context.Background(), "a")
	if err != nil || st.Study.Reason != "" {
		t.Errorf("study a after a failed migration: %+v, %v (want unchanged)", st.Study, err)
	}
}

func TestMigrationMissing(t *testing.T) {
	path := v1Fixture(t)
	withSchema(t, 3, map[int]migration{1: realMigrations[1]})
	_, err := Open(path, &Options{NoServe: true})
	if err == nil || !strings.Contains(err.Error(), "no migration from schema version 2 to 3") {
		t.Fatalf("err = %v", err)
	}
	if v := fileVersion(t, path); v != 1 {
		t.Errorf("schema version = %d, want 1 (all or nothing)", v)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := v1Fixture(t)
	withSchema(t, 3, map[int]migration{1: realMigrations[1], 2: tagStudies("v3", false)})
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	withSchema(t, 2, realMigrations)
	for name, open := range map[string]func() error{
		"Open": func() error {
			s, err := Open(path, nil)
			if s != nil {
				s.Close()
			}
			return err
		},
		"OpenReader": func() error {
			r, err := OpenReader(path)
			if r != nil {
				r.Close()
			}
			return err
		},
	} {
		err := open()
		if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "written by a newer automl") {
			t.Errorf("%s of a v3 store by v2 code: err = %v, want ErrNewerSchema", name, err)
		}
	}
	if v := fileVersion(t, path); v != 3 {
		t.Errorf("refused store's version = %d, want 3 (untouched)", v)
	}
}

func TestReaderRefusesOldSchema(t *testing.T) {
	path := v1Fixture(t)
	_, err := OpenReader(path)
	if !errors.Is(err, ErrOldSchema) || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("OpenReader of a v1 store: err = %v, want ErrOldSchema", err)
	}
}

// TestMigrationAddsChecksums: the real migration 1 -> 2 frames every
// record of the schema-1 fixture with its checksum, and the store reads
// back exactly what the schema-1 code read.
func TestMigrationAddsChecksums(t *testing.T) {
	ctx := context.Background()
	path := v1Fixture(t)
	var want map[string]schema1Study
	b, err := os.ReadFile(filepath.Join("testdata", "schema1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatalf("Open of the schema-1 fixture: %v", err)
	}
	defer s.Close()
	if v := fileVersionOpen(t, s); v != schemaVersion {
		t.Fatalf("version after Open = %d, want %d (every migration from 1 on)", v, schemaVersion)
	}
	for name, w := range want {
		st, err := s.Load(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st, w.State) {
			t.Errorf("study %s after migration:\n got  %+v\n want %+v", name, st, w.State)
		}
		for id, wr := range w.Reports {
			got, err := s.Reports(ctx, name, id)
			if err != nil || !reflect.DeepEqual(got, wr) && len(wr)+len(got) > 0 {
				t.Errorf("reports of %s trial %d: %+v, %v; want %+v", name, id, got, err, wr)
			}
		}
	}
	res := s.Check()
	if !res.Clean() || res.Studies != 2 || res.Trials != 12 || res.Reports != 48 {
		t.Errorf("Check after migration: %+v", res)
	}
	// Every value is framed: no record of the file is bare JSON.
	framed := 0
	err = s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStudies).ForEach(func(name, _ []byte) error {
			sb := tx.Bucket(bucketStudies).Bucket(name)
			return forEachRecord(sb, func(k, v []byte) error {
				if _, err := unframe(k, v); err != nil {
					return fmt.Errorf("study %s key %x: %v", name, k, err)
				}
				framed++
				return nil
			})
		})
	})
	if err != nil || framed != 2+1+12+48 {
		t.Errorf("framed records: %d, %v; want %d", framed, err, 2+1+12+48)
	}
}

// forEachRecord calls fn for a study's config, snapshot, trials and reports.
func forEachRecord(sb *bbolt.Bucket, fn func(k, v []byte) error) error {
	for _, k := range [][]byte{keyConfig, keySnapshot} {
		if v := sb.Get(k); v != nil {
			if err := fn(k, v); err != nil {
				return err
			}
		}
	}
	if err := sb.Bucket(bucketTrials).ForEach(fn); err != nil {
		return err
	}
	return sb.Bucket(bucketReports).ForEach(fn)
}

// TestMigrationRefusesDamagedRecord: a schema-1 record that is not JSON
// (damaged before checksums existed) fails the migration, naming it; the
// file is left as it was, and readers refuse it as well.
func TestMigrationRefusesDamagedRecord(t *testing.T) {
	path := v1Fixture(t)
	b, _ := os.ReadFile(path)
	i := bytes.Index(b, []byte(`{"id":5,"state"`))
	if i < 0 || bytes.LastIndex(b, []byte(`{"id":5,"state"`)) != i {
		t.Fatal("trial 5's record is not in the fixture once")
	}
	b[i+1] = 0 // `{"id"` -> `{\x00id"`
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, &Options{NoServe: true})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `study "a" trial 5: is not valid JSON`) {
		t.Fatalf("Open of a damaged schema-1 store: err = %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
		t.Error("the refused migration changed the file")
	}
}

// TestNotAStore: a bbolt file of another program is refused, not adopted.
func TestNotAStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, nil); !errors.Is(err, ErrNotStore) {
		t.Errorf("Open of a foreign bbolt file: err = %v, want ErrNotStore", err)
	}
	if _, err := OpenReader(path); !errors.Is(err, ErrNotStore) {
		t.Errorf("OpenReader of a foreign bbolt file: err = %v, want ErrNotStore", err)
	}
}

// TestEmptyBboltFileAdopted: an empty bbolt file (no buckets) is laid out.
func TestEmptyBboltFileAdopted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := fileVersionOpen(t, s); v != schemaVersion {
		t.Errorf("version = %d, want %d", v, schemaVersion)
	}
}

func fileVersionOpen(t *testing.T, s *Store) int {
	var v int
	if err := s.db.View(func(tx *bbolt.Tx) (err error) { v, _, err = readVersion(tx); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}
