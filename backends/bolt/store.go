package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"automl/scheduler"
)

// Options tune Open. The zero value is the product's setting.
type Options struct {
	// Timeout bounds the wait for another writer to let go of the file;
	// default 1 s.
	Timeout time.Duration
	// Command names this process in the owner file and so in another
	// writer's "in use" error; default: the program and its subcommand.
	Command string
	// MaxSize caps the file's size in bytes (bbolt's MaxSize; a commit that
	// would grow past it fails and changes nothing); 0: no cap.
	MaxSize int
	// NoServe turns off serving readers on a unix socket.
	NoServe bool
}

// DefaultTimeout is how long Open waits for the file's lock.
const DefaultTimeout = time.Second

// Store is a scheduler.Store on a bbolt file opened for writing. It is safe
// for concurrent use.
type Store struct {
	path string // as given, for messages
	abs  string
	db   *bbolt.DB
	srv  *server // nil with NoServe

	closeOnce sync.Once
	closeErr  error
}

var _ scheduler.Store = (*Store)(nil)

// Open opens (creating if needed) the store at path for writing. When
// another process holds it, Open fails within Options.Timeout with an
// *InUseError naming that process. A damaged file gives an error wrapping
// ErrCorrupt; one written by a newer automl, ErrNewerSchema.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		if err := create(abs); err != nil {
			return nil, fmt.Errorf("create store %s: %w", path, err)
		}
	}
	db, err := openDB(abs, &bbolt.Options{
		Timeout:      o.Timeout,
		FreelistType: bbolt.FreelistMapType,
		MaxSize:      o.MaxSize,
		// No InitialMmapSize: with a large map bbolt grows the file 16 MiB
		// at a time from the first page on. Remaps (which wait for read
		// transactions) stay rare, as the map doubles, and reads are short.
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, inUse(path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{path: path, abs: abs, db: db}
	err = protect(func() error {
		var current bool
		if err := db.View(func(tx *bbolt.Tx) error {
			v, ok, err := readVersion(tx)
			current = ok && v == schemaVersion
			return err
		}); err != nil {
			return err
		}
		if !current { // a new file, or one to migrate (or refuse)
			if err := db.Update(upgrade); err != nil {
				return err
			}
		}
		return db.View(touchStudies)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	var ln net.Listener
	socket := ""
	if !o.NoServe {
		if ln, socket, err = listenUnix(abs); err != nil {
			db.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		s.srv = serve(s, ln, socket)
	}
	// Best effort: without the side file readers still find the socket by
	// its derived path, and a second writer's error names no process.
	_ = writeOwner(abs, newOwner(o.Command, socket))
	return s, nil
}

// openDB opens the bbolt file, turning panics and faults on a damaged file
// into errors. A panic inside bbolt.Open leaves its file open and locked;
// the OpenFile hook lets us unlock and close it.
func openDB(abs string, o *bbolt.Options) (*bbolt.DB, error) {
	var f *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		var err error
		f, err = os.OpenFile(name, flag, perm)
		return f, err
	}
	var db *bbolt.DB
	err := protect(func() (err error) {
		db, err = bbolt.Open(abs, 0o600, o)
		return err
	})
	if errors.Is(err, ErrCorrupt) && f != nil {
		// bbolt panicked half way and kept its file and memory map. The map
		// holds the open file, and with it the lock, so unlock explicitly;
		// the map itself leaks (address space only).
		unlockFile(f)
		f.Close()
	}
	return db, err
}

// touchStudies reads the root of every study, so that damage near the top
// of the tree shows at Open rather than in the middle of a study.
func touchStudies(tx *bbolt.Tx) error {
	b := tx.Bucket(bucketStudies)
	if b == nil {
		return fmt.Errorf("%w: no %s bucket", ErrNotStore, bucketStudies)
	}
	return b.ForEach(func(k, v []byte) error {
		if v == nil && b.Bucket(k).Get(keyConfig) == nil {
			return fmt.Errorf("study %q has no config", k)
		}
		return nil
	})
}

// create makes a new, initialised store at abs: built under a temporary
// name and linked into place, so a crash never leaves a half-made file and
// a concurrent creator's file is never replaced.
func create(abs string) error {
	tmp, err := os.CreateTemp(filepath.Dir(abs), filepath.Base(abs)+".new-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	db, err := bbolt.Open(name, 0o600, &bbolt.Options{Timeout: DefaultTimeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return err
	}
	err = db.Update(initStore)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(name, abs); err != nil && !errors.Is(err, fs.ErrExist) {
		// No hard links here (some network file systems): let Open create
		// the file in place; upgrade lays it out.
		return nil
	}
	return syncDir(filepath.Dir(abs))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Path returns the store's path as given to Open.
func (s *Store) Path() string { return s.path }

// Close stops serving readers, removes the owner file and closes the
// database, in that order, so no reader is sent to a closed store. A
// second Close returns nil.
func (s *Store) Close() error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		if s.srv != nil {
			s.srv.close()
		}
		os.Remove(ownerPath(s.abs))
		s.closeErr = s.db.Close()
	})
	if first {
		return s.closeErr
	}
	return nil
}

// Check verifies the whole file's page structure (bbolt's consistency
// check); slow on a large file.
func (s *Store) Check() error {
	return protect(func() error {
		return s.db.View(func(tx *bbolt.Tx) error {
			var errs []error
			for err := range tx.Check() {
				errs = append(errs, err)
			}
			if len(errs) > 0 {
				return fmt.Errorf("%w: %w", ErrCorrupt, errors.Join(errs...))
			}
			return nil
		})
	})
}
