package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"automl/backends/storetest"
	"automl/scheduler"
)

// withSchema makes this code a version-v automl with the given migrations
// for the rest of the test.
func withSchema(t *testing.T, v int, ms map[int]migration) {
	oldV, oldM := schemaVersion, migrations
	schemaVersion, migrations = v, ms
	t.Cleanup(func() { schemaVersion, migrations = oldV, oldM })
}

// v1Fixture writes a store as version 1 of the schema wrote it, with two
// studies, and returns its path.
func v1Fixture(t *testing.T) string {
	t.Helper()
	withSchema(t, 1, map[int]migration{})
	path := filepath.Join(t.TempDir(), "v1.db")
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if err := s.Commit(context.Background(), name, scheduler.Change{Study: storetest.StudyConfig(name, "minimize")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

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

// tagStudies is a test migration: it sets every study's Reason.
func tagStudies(reason string, fail bool) migration {
	return migration{name: "tag studies", up: func(tx *bbolt.Tx) error {
		studies := tx.Bucket(bucketStudies)
		return studies.ForEach(func(name, _ []byte) error {
			sb := studies.Bucket(name)
			var st scheduler.Study
			if err := json.Unmarshal(sb.Get(keyConfig), &st); err != nil {
				return err
			}
			st.Reason = reason
			b, _ := json.Marshal(&st)
			if err := sb.Put(keyConfig, b); err != nil {
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
	withSchema(t, 3, map[int]migration{1: tagStudies("v2", false), 2: tagStudies("v3", false)})
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatalf("Open of a v1 store with migrations to v3: %v", err)
	}
	for _, name := range []string{"a", "b"} {
		st, err := s.Load(context.Background(), name)
		if err != nil || st.Study == nil || st.Study.Reason != "v3" {
			t.Errorf("study %s after migration: %+v, %v (want reason v3: migrations in order)", name, st.Study, err)
		}
	}
	s.Close()
	if v := fileVersion(t, path); v != 3 {
		t.Errorf("schema version after migration = %d, want 3", v)
	}
}

func TestMigrationFailureChangesNothing(t *testing.T) {
	path := v1Fixture(t)
	withSchema(t, 2, map[int]migration{1: tagStudies("v2", true)})
	if _, err := Open(path, &Options{NoServe: true}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Open with a failing migration: err = %v", err)
	}
	if v := fileVersion(t, path); v != 1 {
		t.Errorf("schema version after a failed migration = %d, want 1", v)
	}
	withSchema(t, 1, map[int]migration{})
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
	withSchema(t, 3, map[int]migration{1: tagStudies("v2", false)})
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
	withSchema(t, 2, map[int]migration{1: tagStudies("v2", false)})
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	withSchema(t, 1, map[int]migration{})
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
			t.Errorf("%s of a v2 store by v1 code: err = %v, want ErrNewerSchema", name, err)
		}
	}
	if v := fileVersion(t, path); v != 2 {
		t.Errorf("refused store's version = %d, want 2 (untouched)", v)
	}
}

func TestReaderRefusesOldSchema(t *testing.T) {
	path := v1Fixture(t)
	withSchema(t, 2, map[int]migration{1: tagStudies("v2", false)})
	_, err := OpenReader(path)
	if !errors.Is(err, ErrOldSchema) || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("OpenReader of a v1 store by v2 code: err = %v, want ErrOldSchema", err)
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
