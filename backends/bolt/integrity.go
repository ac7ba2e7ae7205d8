package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"
	"time"
)

// DamagedError refuses a study file that is damaged, or that is not a
// study file at all (empty, another program's): it says which file, what
// is wrong, that nothing was used, and how to recover. It wraps ErrCorrupt
// or ErrNotStore.
type DamagedError struct {
	// Path is the study file as given.
	Path string
	// Backup is the rolling backup beside it (BackupPath), "" when there is none.
	Backup string
	// Saved is the backup's modification time.
	Saved time.Time
	// Held: a running writer read the file for us (it must stop before a restore).
	Held bool
	Err  error
}

func (e *DamagedError) Error() string {
	var b strings.Builder
	// The sentinels' words are said by the sentence itself.
	what := strings.Replace(strings.Replace(e.Err.Error(), ErrCorrupt.Error()+": ", "", 1), ErrNotStore.Error()+": ", "", 1)
	if errors.Is(e.Err, ErrNotStore) {
		fmt.Fprintf(&b, "%s is not an automl study file: %s; it was left as it is.\n", e.Path, what)
		fmt.Fprintf(&b, "  If it should hold studies, it is damaged: `automl check --db %s` says what it finds; ", e.Path)
	} else {
		fmt.Fprintf(&b, "study file %s is damaged: %s; nothing was used from it.\n", e.Path, what)
		fmt.Fprintf(&b, "  To recover: `automl check --db %s` lists every damaged record; ", e.Path)
	}
	stop := ""
	if e.Held {
		stop = "stop the automl search that holds it, then "
	}
	if e.Backup != "" {
		fmt.Fprintf(&b, "%srestore the last good copy, the backup %s (saved %s): cp %s %s",
			stop, e.Backup, e.Saved.Local().Format("2006-01-02 15:04:05"), e.Backup, e.Path)
	} else {
		fmt.Fprintf(&b, "%srestore it from your last good copy (there is no backup at %s; automl search keeps one there)", stop, BackupPath(e.Path))
	}
	if errors.Is(e.Err, ErrNotStore) {
		b.WriteString("; or give another --db")
	}
	return b.String()
}

func (e *DamagedError) Unwrap() error { return e.Err }

// BackupPath is where automl search keeps the rolling backup of the study
// file at path.
func BackupPath(path string) string { return path + ".backup" }

// refuse turns an error that comes from a damaged or foreign file into a
// *DamagedError for path; other errors pass unchanged.
func refuse(path string, err error) error {
	var de *DamagedError
	if err == nil || errors.As(err, &de) || !(errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotStore)) {
		return err
	}
	de = &DamagedError{Path: path, Err: err}
	var re *remoteError
	de.Held = errors.As(err, &re)
	if fi, serr := os.Stat(BackupPath(path)); serr == nil && fi.Mode().IsRegular() {
		de.Backup, de.Saved = BackupPath(path), fi.ModTime()
	}
	return de
}

// bbolt's file header: a page header (16 bytes) and the meta (64 bytes),
// in the machine's byte order, on each of the first two pages.
const (
	boltMagic      = 0xED0CDAED
	boltPageHeader = 16
	boltMetaSize   = 64
	noFreelist     = ^uint64(0)
)

// preflight looks at the file before bbolt opens it, so that a file that
// is no bbolt database is refused without bbolt touching it: bbolt
// initialises an empty file in place (automl search would start over in
// it) and may panic on a foreign one. Neither is ever written.
func preflight(abs string) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		return fmt.Errorf("%w: it is a directory", ErrNotStore)
	case fi.Size() == 0:
		return fmt.Errorf("%w: it is empty (0 bytes)", ErrNotStore)
	}
	head := make([]byte, boltPageHeader+boltMetaSize)
	if _, err := f.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if m, ok := parseMeta(head); ok {
		return checkMeta(m, fi.Size())
	}
	// Meta page 0 may be damaged: bbolt then uses page 1, wherever the
	// page size puts it.
	for _, ps := range []int64{4096, int64(os.Getpagesize()), 8192, 16384, 65536} {
		if _, err := f.ReadAt(head, ps); err != nil {
			continue
		}
		if m, ok := parseMeta(head); ok {
			return checkMeta(m, fi.Size())
		}
	}
	return fmt.Errorf("%w: no bbolt header in its first bytes (%d bytes in all)", ErrNotStore, fi.Size())
}

// meta is the part of bbolt's meta page preflight looks at.
type meta struct {
	pageSize         uint32
	freelist, pageID uint64
}

// parseMeta reads a meta page whose magic and checksum hold.
func parseMeta(page []byte) (meta, bool) {
	if len(page) < boltPageHeader+boltMetaSize {
		return meta{}, false
	}
	m := page[boltPageHeader:]
	ne := binary.NativeEndian
	if ne.Uint32(m[0:]) != boltMagic {
		return meta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return meta{}, false
	}
	return meta{pageSize: ne.Uint32(m[8:]), freelist: ne.Uint64(m[32:]), pageID: ne.Uint64(m[40:])}, true
}

func checkMeta(m meta, size int64) error {
	if m.freelist == noFreelist {
		// automl always syncs the freelist; bbolt would write one into
		// this file on opening it for writing.
		return fmt.Errorf("%w: a bbolt file without a stored freelist (another program's)", ErrNotStore)
	}
	if need := int64(m.pageID) * int64(m.pageSize); m.pageSize > 0 && size < need {
		return fmt.Errorf("%w: the file is %d bytes, shorter than the %d its pages take (truncated)", ErrCorrupt, size, need)
	}
	return nil
}
