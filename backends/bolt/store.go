package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	// BackupEvery and BackupInterval keep a rolling backup at
	// BackupPath(path): a consistent, checked copy of the file, made in the
	// background after every BackupEvery commits or BackupInterval of time
	// (whichever comes first) and when the store closes; 0 turns that
	// trigger off, both 0 no backups.
	BackupEvery    int
	BackupInterval time.Duration
	// OnBackup is told of every backup made (err nil) or failed; optional.
	OnBackup func(path string, err error)
}

// DefaultTimeout is how long Open waits for the file's lock.
const DefaultTimeout = time.Second

// Store is a scheduler.Store on a bbolt file opened for writing. It is safe
// for concurrent use.
type Store struct {
	path string // as given, for messages
	abs  string
	db   *bbolt.DB
	srv  *server  // nil with NoServe
	bk   *backups // nil without backups

	maxSize int // Options.MaxSize, for messages

	closeOnce sync.Once
	closeErr  error

	// damage is the first damage a read or a backup's check found since
	// Open; readers asking the socket are refused with it.
	damage atomic.Pointer[string]
	// live are the studies committed to since Open: the ones that may run.
	live liveStudies
}

// fail notes damage in err and returns err for the caller (a
// *DamagedError when it is damage).
func (s *Store) fail(err error) error {
	if errors.Is(err, ErrCorrupt) {
		var de *DamagedError
		msg := err.Error()
		if errors.As(err, &de) {
			msg = de.Err.Error()
		}
		s.damage.CompareAndSwap(nil, &msg)
	}
	return refuse(s.path, err)
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
	created := false
	if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
		if err := create(abs); err != nil {
			return nil, fmt.Errorf("create store %s: %w", path, err)
		}
		created = true
	}
	if err := preflight(abs); err != nil && !(created && errors.Is(err, fs.ErrNotExist)) {
		return nil, openError(path, err)
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
		return nil, openError(path, err)
	}
	s := &Store{path: path, abs: abs, db: db, maxSize: o.MaxSize}
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
			// Check the pages before a migration writes among them.
			if err := db.View(checkStructure); err != nil {
				return err
			}
			if err := db.Update(upgrade); err != nil {
				return err
			}
		}
		if err := db.View(touchStudies); err != nil {
			return err
		}
		// Nothing else uses db yet: a read transaction may run bbolt's
		// consistency check.
		return db.View(checkOpen)
	})
	if err != nil {
		db.Close()
		return nil, openError(path, err)
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
	s.bk = newBackups(s, &o)
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

// touchStudies checks the file has the studies bucket (checkOpen then
// reads every study in it).
func touchStudies(tx *bbolt.Tx) error {
	if tx.Bucket(bucketStudies) == nil {
		return fmt.Errorf("%w: no %s bucket", ErrNotStore, bucketStudies)
	}
	return nil
}

// openError is the error of an Open or OpenReader of path that failed:
// a *DamagedError when the file is damaged or not a study file.
func openError(path string, err error) error {
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if r := refuse(path, err); r != err {
		return r
	}
	return fmt.Errorf("open store %s: %w", path, err)
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
		if s.bk != nil { // while readers are still served
			s.bk.close()
		}
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

// Check verifies the whole file: its pages (from its bytes, then bbolt's
// consistency check), during which commits wait (neither may run beside a
// commit), then every record's checksum, place and decoding, in a read
// transaction beside commits.
func (s *Store) Check() *CheckResult {
	c := checker{decode: true}
	c.res.File = s.path
	err := protect(func() error {
		ok := false
		err := s.db.Update(func(tx *bbolt.Tx) error {
			ok = c.structure(tx)
			return errRollback
		})
		if err != errRollback {
			return err
		}
		if !ok {
			return nil
		}
		return s.db.View(c.records)
	})
	if err != nil {
		c.res.refuse(err)
	}
	return &c.res
}

// errRollback ends a write transaction that must change nothing.
var errRollback = errors.New("rolled back")
