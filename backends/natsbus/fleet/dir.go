package fleet

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nkeys"

	"automl/internal/secretfile"
)

// The files of a fleet directory.
const (
	jobKeyFile    = "jobs.key"     // the job key's seed (hex)
	schedulerFile = "scheduler.nk" // the scheduler's NKey user seed
	joinFile      = "join.json"    // the join credential tokens carry
	workersFile   = "workers.json" // enrolled workers
	lockFile      = "lock"
)

// Dir is an open fleet directory. Its methods are safe for concurrent use,
// and between processes: changes are made under a file lock and written
// whole (a reader never sees half a file).
type Dir struct {
	path      string
	jobKey    JobKey
	scheduler string // NKey seed
	mu        sync.Mutex
}

// Worker is an enrolled worker: its name (the token of its event subjects)
// and the public NKey it connects with.
type Worker struct {
	Name     string    `json:"name"`
	NKey     string    `json:"nkey"`
	Enrolled time.Time `json:"enrolled"`
}

// joinCred is the join credential; revoking it makes a new one.
type joinCred struct {
	Seed    string    `json:"seed"`
	Created time.Time `json:"created"`
}

// keysPerName bounds the keys kept for one worker name: a worker makes a
// new key each time it starts, and a few of its past processes may still
// be connected.
const keysPerName = 8

// maxWorkers bounds the registry (every entry is a server user).
const maxWorkers = 4096

// Open opens the fleet directory at path, making it and its keys on first
// use. It refuses a directory or file that others may read.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("fleet directory: %w", err)
	}
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	d := &Dir{path: path}
	unlock, err := d.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	seed, err := d.secret(jobKeyFile, func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return []byte(fmt.Sprintf("%x\n", b)), err
	})
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(seed)))
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("fleet: %s is damaged: want 64 hexadecimal digits; move it away to make a new key (workers then need a new token)", filepath.Join(path, jobKeyFile))
	}
	if d.jobKey, err = NewJobKey(raw); err != nil {
		return nil, err
	}
	sched, err := d.secret(schedulerFile, newUserSeed)
	if err != nil {
		return nil, err
	}
	d.scheduler = strings.TrimSpace(string(sched))
	if _, err := nkeys.FromSeed([]byte(d.scheduler)); err != nil {
		return nil, fmt.Errorf("fleet: %s is damaged: %v", filepath.Join(path, schedulerFile), err)
	}
	return d, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// JobKey is the key this fleet's scheduler signs jobs with.
func (d *Dir) JobKey() JobKey { return d.jobKey }

// SchedulerSeed is the scheduler's NKey user seed.
func (d *Dir) SchedulerSeed() string { return d.scheduler }

// Join returns the current join credential's seed, making one on first use.
func (d *Dir) Join(now time.Time) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	unlock, err := d.lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	var j joinCred
	if err := d.readJSON(joinFile, &j); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if j.Seed != "" {
		return j.Seed, nil
	}
	return d.newJoin(now)
}

// Revoke replaces the join credential, so tokens given out so far no longer
// enroll anyone; with workers it also removes every enrolled worker, whose
// connections the server then closes.
func (d *Dir) Revoke(workers bool, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := d.newJoin(now); err != nil {
		return err
	}
	if workers {
		return d.writeJSON(workersFile, []Worker{})
	}
	return nil
}

func (d *Dir) newJoin(now time.Time) (string, error) {
	seed, err := newUserSeed()
	if err != nil {
		return "", err
	}
	j := joinCred{Seed: strings.TrimSpace(string(seed)), Created: now.UTC()}
	return j.Seed, d.writeJSON(joinFile, j)
}

// Enroll records a worker's key under its name, keeping the newest few
// keys of a name.
func (d *Dir) Enroll(name, nkey string, now time.Time) error {
	if !nkeys.IsValidPublicUserKey(nkey) {
		return fmt.Errorf("fleet: enroll %q: %q is not a public user NKey", name, nkey)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	ws, err := d.workers()
	if err != nil {
		return err
	}
	ws = slices.DeleteFunc(ws, func(w Worker) bool { return w.NKey == nkey })
	ws = append(ws, Worker{Name: name, NKey: nkey, Enrolled: now.UTC()})
	// Keep the newest keysPerName of this name, and maxWorkers in all.
	kept, n := make([]Worker, 0, len(ws)), 0
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].Name == name {
			if n++; n > keysPerName {
				continue
			}
		}
		kept = append(kept, ws[i])
	}
	slices.Reverse(kept)
	if len(kept) > maxWorkers {
		kept = kept[len(kept)-maxWorkers:]
	}
	return d.writeJSON(workersFile, kept)
}

// Workers lists the enrolled workers, oldest first.
func (d *Dir) Workers() ([]Worker, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.workers()
}

func (d *Dir) workers() ([]Worker, error) {
	var ws []Worker
	if err := d.readJSON(workersFile, &ws); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return ws, nil
}

// Stamp changes whenever the join credential or the registry changes (in
// this process or another): a server polls it to reload its users.
func (d *Dir) Stamp() string {
	var b strings.Builder
	for _, f := range []string{joinFile, workersFile} {
		if st, err := os.Stat(filepath.Join(d.path, f)); err == nil {
			fmt.Fprintf(&b, "%d/%d;", st.ModTime().UnixNano(), st.Size())
		}
	}
	return b.String()
}

func newUserSeed() ([]byte, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	return append(seed, '\n'), nil
}

// secret reads a private file of the directory, making it with make when
// it does not exist yet (under the directory's lock, so two processes
// opening a new directory at once make one key).
func (d *Dir) secret(name string, make func() ([]byte, error)) ([]byte, error) {
	path := filepath.Join(d.path, name)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		data, err := make()
		if err != nil {
			return nil, err
		}
		if err := writeFile(path, data); err != nil {
			return nil, err
		}
	}
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	return data, nil
}

func (d *Dir) readJSON(name string, v any) error {
	path := filepath.Join(d.path, name)
	if err := checkPrivate(path); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("fleet: %s is damaged: %v (automl fleet revoke --workers writes it anew)", path, err)
	}
	return nil
}

func (d *Dir) writeJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(d.path, name), append(data, '\n'))
}

// writeFile replaces path with data, mode 0600, atomically.
func writeFile(path string, data []byte) error {
	if err := secretfile.Write(path, data); err != nil {
		return fmt.Errorf("fleet: write %s: %w", path, err)
	}
	return nil
}

// checkPrivate refuses a file or directory that others may read or write.
func checkPrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		if err := secretfile.Check("fleet file", path); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
		return nil
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("fleet: directory %s has mode %04o, open to other users: it holds the fleet's keys; run chmod 700 %s", path, perm, path)
	}
	return nil
}
