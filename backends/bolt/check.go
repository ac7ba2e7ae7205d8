package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
)

// Check checks the study file at path whole: bbolt's consistency check of
// its pages, then every record's checksum, place and decoding. When a
// running writer (automl search) holds the file, that writer checks it
// and answers through its socket (its commits wait while the pages are
// checked); otherwise this process reads the file, read-only.
//
// Damage, and a file that is no study file, are in the result (Clean,
// Err); the error is for a file that could not be checked at all: none at
// path, one of another schema version, an unreachable writer.
func Check(ctx context.Context, path string) (*CheckResult, error) {
	abs, err := filepath.Abs(path)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", path, err)
	}
	r := &Reader{path: path, abs: abs, remotes: map[string]*remote{}}
	defer r.Close()
	var res *CheckResult
	err = r.do(ctx,
		func(db *bbolt.DB) error {
			c := checker{decode: true}
			if err := protect(func() error {
				// The file is open read-only here: no commit can run.
				return db.View(func(tx *bbolt.Tx) error {
					if !c.structure(tx) {
						return nil
					}
					return c.records(tx)
				})
			}); err != nil {
				c.res.refuse(err)
			}
			res = &c.res
			return nil
		},
		func(rm *remote) error {
			var got CheckResult
			if err := rm.get(ctx, pathCheck, nil, &got); err != nil {
				return err
			}
			got.Via = "the running automl search"
			if o := readOwner(abs); o != nil {
				got.Via = fmt.Sprintf("the running %s (pid %d)", o.Command, o.PID)
			}
			res = &got
			return nil
		})
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotStore) {
			return nil, fmt.Errorf("check %s: %w", path, err)
		}
		res = &CheckResult{}
		res.refuse(err)
	}
	res.File = path
	return res, nil
}

func (r *CheckResult) refuse(err error) {
	r.Refused, r.refusal = describe(err), err
}
