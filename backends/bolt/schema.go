package bolt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// schemaVersion is the layout this code reads and writes. A variable only
// so tests can exercise the migration machinery with a test migration.
//
//	1: records stored as JSON
//	2: every record framed with its CRC-32C (checksum.go)
//	3: trainer logs (a study's logs bucket, made with its first lines; logs.go)
var schemaVersion = 3

// migration upgrades a store by one version inside the open transaction.
// An additive one only allows what older code does not know (a bucket
// made when first needed): a store it has not run on yet is read as it
// is, and only a writer runs it (then older code refuses the file as
// newer, rather than take what it does not know for damage).
type migration struct {
	name     string
	up       func(tx *bbolt.Tx) error
	additive bool
}

// migrations[v] upgrades a version-v store to v+1. Each comes with a test
// that opens an old-schema fixture.
var migrations = map[int]migration{
	1: {name: "add checksums", up: addChecksums},
	2: {name: "trainer logs", up: func(*bbolt.Tx) error { return nil }, additive: true},
}

var (
	// ErrNewerSchema: the file was written by a newer automl.
	ErrNewerSchema = errors.New("written by a newer automl")
	// ErrNotStore: the file is a bbolt database but not an automl store.
	ErrNotStore = errors.New("not an automl store")
	// ErrOldSchema: a read-only open found a store that needs a migration.
	ErrOldSchema = errors.New("written by an older automl")
)

// readVersion returns the store's schema version; 0 with ok false when the
// file holds no buckets at all (a new, empty database).
func readVersion(tx *bbolt.Tx) (v int, ok bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		err := tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
		if err != nil {
			return 0, false, err
		}
		if empty {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("%w: no %s bucket", ErrNotStore, bucketMeta)
	}
	raw := meta.Get(keySchemaVersion)
	v, err = strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, false, fmt.Errorf("%w: schema_version %q", ErrNotStore, raw)
	}
	return v, true, nil
}

func writeVersion(tx *bbolt.Tx, v int) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	return meta.Put(keySchemaVersion, []byte(strconv.Itoa(v)))
}

// initStore lays out an empty store at the current version.
func initStore(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketStudies); err != nil {
		return err
	}
	return writeVersion(tx, schemaVersion)
}

// upgrade brings a store opened for writing to schemaVersion: it lays out
// an empty file, refuses a newer one and runs the migrations of an older
// one, all in one transaction so a failed migration changes nothing.
func upgrade(tx *bbolt.Tx) error {
	v, ok, err := readVersion(tx)
	if err != nil {
		return err
	}
	if !ok {
		return initStore(tx)
	}
	if v > schemaVersion {
		return newerError(v)
	}
	for ; v < schemaVersion; v++ {
		m, found := migrations[v]
		if !found {
			return fmt.Errorf("no migration from schema version %d to %d", v, v+1)
		}
		if err := m.up(tx); err != nil {
			return fmt.Errorf("migrate schema %d -> %d (%s): %w", v, v+1, m.name, err)
		}
	}
	return writeVersion(tx, schemaVersion)
}

// checkReadable is upgrade's read-only counterpart: the store must be at
// the current version (or empty).
func checkReadable(tx *bbolt.Tx) error {
	v, ok, err := readVersion(tx)
	switch {
	case err != nil:
		return err
	case !ok || v == schemaVersion:
		return nil
	case v > schemaVersion:
		return newerError(v)
	}
	additive := true
	for w := v; w < schemaVersion; w++ {
		additive = additive && migrations[w].additive
	}
	if additive {
		return nil
	}
	return fmt.Errorf("schema version %d was %w; open it once for writing (automl search) to migrate it to version %d",
		v, ErrOldSchema, schemaVersion)
}

func newerError(v int) error {
	return fmt.Errorf("schema version %d was %w (this one reads up to version %d); upgrade automl", v, ErrNewerSchema, schemaVersion)
}

// addChecksums frames every record of every study with its checksum
// (schema 1 -> 2). A record that is not valid JSON is damage from before
// the upgrade: the migration fails, naming it, rather than seal it with a
// checksum (and the file stays at version 1, unchanged).
func addChecksums(tx *bbolt.Tx) error {
	studies := tx.Bucket(bucketStudies)
	if studies == nil {
		return fmt.Errorf("%w: no %s bucket", ErrNotStore, bucketStudies)
	}
	var names [][]byte
	if err := studies.ForEach(func(k, v []byte) error {
		if v == nil {
			names = append(names, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, name := range names {
		study := string(name)
		sb := studies.Bucket(name)
		if err := frameAll(sb, study, kindStudy, keyConfig, keySnapshot); err != nil {
			return err
		}
		for _, sub := range []struct {
			name []byte
			kind string
		}{{bucketTrials, kindTrial}, {bucketReports, kindReport}} {
			b, err := subBucket(sb, study, sub.name)
			if err != nil {
				return err
			}
			if err := frameAll(b, study, sub.kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// frameAll frames the values of b: the given keys, or all of them when
// none are given. The values are collected first and put after, as a
// cursor may skip keys when its bucket changes under it.
func frameAll(b *bbolt.Bucket, study, kind string, only ...[]byte) error {
	type kv struct{ k, v []byte }
	var all []kv
	if len(only) > 0 {
		for _, k := range only {
			if v := b.Get(k); v != nil {
				all = append(all, kv{k, bytes.Clone(v)})
			}
		}
	} else if err := b.ForEach(func(k, v []byte) error {
		if v != nil {
			all = append(all, kv{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	}); err != nil {
		return err
	}
	for _, r := range all {
		if !json.Valid(r.v) {
			k := kind
			if bytes.Equal(r.k, keySnapshot) {
				k = kindSnapshot
			}
			return damaged(study, k, r.k, "is not valid JSON (damaged before the upgrade to checksums)")
		}
		if err := b.Put(r.k, frame(r.k, r.v)); err != nil {
			return err
		}
	}
	return nil
}
