package natsbus

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// slotDirs are a worker's checkpoint directories, one per slot, each kept
// across the slot's runs and emptied before a run that finds something in
// it. A run still gets an empty directory of its own (a slot runs one job
// at a time), but the common run, whose trainer saves nothing, costs three
// cheap system calls (seek and read the open directory, lstat its path)
// instead of a mkdir and an rmdir in a shared temporary directory: those
// take the parent directory's lock, and with 64 slots they were more than
// half of a worker's CPU time on short trials (BenchmarkSimulated64,
// pprof).
type slotDirs struct {
	base string // where the worker's directory is made

	mu   sync.Mutex
	root string // the worker's directory, made on first use
	dirs map[int]*slotDir
}

type slotDir struct {
	path string
	f    *os.File    // open on the directory made at path
	fi   os.FileInfo // f's, to tell whether path still names it
}

func newSlotDirs(base string) *slotDirs {
	return &slotDirs{base: base, dirs: map[int]*slotDir{}}
}

// fresh returns slot i's checkpoint directory, empty.
func (s *slotDirs) fresh(i int) (string, error) {
	s.mu.Lock()
	if s.root == "" {
		root, err := os.MkdirTemp(s.base, "automl-ckpt-")
		if err != nil {
			s.mu.Unlock()
			return "", err
		}
		s.root = root
	}
	d := s.dirs[i]
	if d == nil {
		d = &slotDir{path: filepath.Join(s.root, "slot-"+strconv.Itoa(i))}
		s.dirs[i] = d
	}
	s.mu.Unlock()
	// Only slot i uses d, one run at a time.
	if d.f != nil {
		// The open directory must still be the one at path: a trainer
		// that removed or replaced it would otherwise make an empty (but
		// deleted) directory pass for the one the next run gets, and that
		// run could upload the files left at path as its own checkpoint.
		if empty(d.f) && d.same() {
			return d.path, nil
		}
		d.f.Close()
		d.f, d.fi = nil, nil
		if err := os.RemoveAll(d.path); err != nil {
			return "", fmt.Errorf("empty %s: %w", d.path, err)
		}
	}
	if err := os.Mkdir(d.path, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	f, err := os.Open(d.path)
	if err != nil {
		return "", err
	}
	if !empty(f) { // left by an earlier run that could not be cleaned
		f.Close()
		if err := os.RemoveAll(d.path); err != nil {
			return "", fmt.Errorf("empty %s: %w", d.path, err)
		}
		if err := os.Mkdir(d.path, 0o700); err != nil {
			return "", err
		}
		if f, err = os.Open(d.path); err != nil {
			return "", err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return "", err
	}
	d.f, d.fi = f, fi
	return d.path, nil
}

// same reports whether path still names the directory d has open.
func (d *slotDir) same() bool {
	fi, err := os.Lstat(d.path)
	return err == nil && os.SameFile(fi, d.fi)
}

// empty reports whether the open directory holds nothing (false on error).
func empty(f *os.File) bool {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false
	}
	_, err := f.Readdirnames(1)
	return errors.Is(err, io.EOF)
}

// close removes every slot's directory.
func (s *slotDirs) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dirs {
		if d.f != nil {
			d.f.Close()
			d.f = nil
		}
	}
	if s.root != "" {
		os.RemoveAll(s.root)
		s.root = ""
	}
	clear(s.dirs)
}
