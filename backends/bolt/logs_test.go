package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"automl/scheduler"
	"automl/trial/triallog"
)

func commitLog(t *testing.T, s *Store, id, attempt, seq int, text string) {
	t.Helper()
	p := triallog.Part{ID: id, Attempt: attempt, Delivery: 1, Chunk: triallog.Chunk{Seq: seq, Lines: []triallog.Line{{Stream: triallog.Stderr, Text: text}}}}
	if err := s.Commit(context.Background(), "s", scheduler.Change{Logs: []triallog.Part{p}}); err != nil {
		t.Fatal(err)
	}
}

// Check verifies log records as it does every record: a flipped bit in a
// chunk is damage that names the trial's log.
func TestCheckVerifiesLogs(t *testing.T) {
	s := openTemp(t)
	commitTrials(t, s, 0, 2)
	commitLog(t, s, 1, 1, 1, "Traceback (most recent call last):")
	commitLog(t, s, 1, 1, 2, "ValueError: bad shape")
	if res := s.Check(); !res.Clean() || res.Logs != 3 {
		t.Fatalf("check of a clean file: %+v (want 3 log records: the bookkeeping and two chunks)", res)
	}
	path := s.Path()
	s.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		lb := studyBucket(tx, "s").Bucket(bucketLogs)
		k := chunkKey(logKey(1, 1), triallog.Pos{Delivery: 1, Seq: 2})
		v := []byte(string(lb.Get(k)))
		v[len(v)-5] ^= 0x01
		return lb.Put(k, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if res.DamagedCount != 1 || res.Damaged[0].Record != kindLog || res.Damaged[0].Trial == nil || *res.Damaged[0].Trial != 1 {
		t.Fatalf("check found %+v, want the log of trial 1 damaged", res.Damaged)
	}
	if _, err := Open(path, &Options{NoServe: true}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `study "s" trial 1 log`) {
		t.Errorf("Open of the damaged file: %v", err)
	}
}

// A schema-2 file (before logs) is read as it is, by a reader, and a
// writer moves it to schema 3; schema-2 code then refuses it as newer
// rather than take its logs bucket for damage.
func TestSchema2ReadAndUpgraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "automl.db")
	withSchema(t, 2, map[int]migration{1: realMigrations[1]})
	s, err := Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	commitTrials(t, s, 0, 1)
	s.Close()
	schemaVersion, migrations = 3, realMigrations

	r, err := OpenReader(path)
	if err != nil {
		t.Fatalf("a reader of a schema-2 file: %v", err)
	}
	wantTrials(t, r, 1)
	r.Close()
	if v := fileVersion(t, path); v != 2 {
		t.Fatalf("a reader changed the file's version to %d", v)
	}
	s, err = Open(path, &Options{NoServe: true})
	if err != nil {
		t.Fatal(err)
	}
	commitLog(t, s, 0, 1, 1, "hello")
	s.Close()
	if v := fileVersion(t, path); v != 3 {
		t.Fatalf("a writer left version %d, want 3", v)
	}
	schemaVersion, migrations = 2, map[int]migration{1: realMigrations[1]}
	if _, err := OpenReader(path); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("schema-2 code reading the file: %v, want ErrNewerSchema", err)
	}
}
