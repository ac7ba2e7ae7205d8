package bolt

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrInUse is wrapped by the error of an Open that found the file held by
// another writer.
var ErrInUse = errors.New("store is in use by another process")

// Owner describes the process that holds a store open for writing. bbolt's
// flock cannot say who holds it, so the writer records itself in the side
// file "<db>.owner" after its open succeeds and removes it on Close.
type Owner struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	Host    string    `json:"host,omitempty"`
	// Socket is where the owner serves readers; empty when it does not.
	Socket string `json:"socket,omitempty"`
}

// InUseError is returned by Open when another process holds the file.
// Owner is nil when that process did not say who it is.
type InUseError struct {
	Path  string
	Owner *Owner
}

func (e *InUseError) Error() string {
	o := e.Owner
	if o == nil {
		return fmt.Sprintf("%s is in use by another process", e.Path)
	}
	on := ""
	if host, _ := os.Hostname(); o.Host != "" && o.Host != host {
		on = " on " + o.Host
	}
	return fmt.Sprintf("%s is in use by process %d%s (%s, started %s)",
		e.Path, o.PID, on, o.Command, o.Started.Local().Format("2006-01-02 15:04"))
}

func (e *InUseError) Unwrap() error { return ErrInUse }

func ownerPath(db string) string { return db + ".owner" }

// writeOwner replaces the side file atomically, so a reader never sees
// half of it.
func writeOwner(db string, o *Owner) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(db), filepath.Base(db)+".owner-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), ownerPath(db))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// readOwner returns the recorded owner of db, or nil when there is none or
// it is stale (its process is gone).
func readOwner(db string) *Owner {
	b, err := os.ReadFile(ownerPath(db))
	if err != nil {
		return nil
	}
	var o Owner
	if json.Unmarshal(b, &o) != nil || o.PID <= 0 {
		return nil
	}
	if host, _ := os.Hostname(); (o.Host == "" || o.Host == host) && !processAlive(o.PID) {
		return nil
	}
	return &o
}

func newOwner(command, socket string) *Owner {
	host, _ := os.Hostname()
	if command == "" {
		command = commandName(os.Args)
	}
	return &Owner{PID: os.Getpid(), Command: command, Started: time.Now(), Host: host, Socket: socket}
}

// commandName is the program's base name and its first words up to the
// first flag ("automl search"): enough to recognise it, never a flag's
// value (which may be a password).
func commandName(args []string) string {
	if len(args) == 0 {
		return "unknown command"
	}
	words := []string{filepath.Base(args[0])}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") || len(words) == 3 {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// inUse builds the error for a file whose lock is held.
func inUse(path string) error {
	return &InUseError{Path: path, Owner: readOwner(path)}
}
