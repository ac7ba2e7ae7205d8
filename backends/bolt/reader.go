package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"automl/scheduler"
	"automl/trial/triallog"
)

// ErrReadOnly is wrapped by Commit on a store opened with OpenReader.
var ErrReadOnly = errors.New("study is read-only while a scheduler runs")

// ErrClosed is returned by a closed Reader.
var ErrClosed = errors.New("store is closed")

// errNoServer: nobody listens on a socket (no writer, or a dead one).
var errNoServer = errors.New("no writer serves readers")

// readerWait bounds how long a read waits for a writer that holds the
// file but does not answer on its socket yet (one that is starting).
const readerWait = 2 * time.Second

// Reader is a read-only scheduler.Store for reporting commands. It holds
// nothing between calls: each read opens the file read-only for one
// transaction or, while a writer holds the file, asks that writer over its
// socket. So a reader never keeps a scheduler from starting, and it keeps
// working when one starts or stops. Commit always fails with ErrReadOnly.
type Reader struct {
	path, abs string

	mu      sync.Mutex
	closed  bool
	remotes map[string]*remote
}

var _ scheduler.Store = (*Reader)(nil)

// OpenReader opens the existing store at path for reading. It checks the
// file is readable now (not damaged, not of another schema version).
func OpenReader(path string) (*Reader, error) {
	abs, err := filepath.Abs(path)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s for reading: %w", path, err)
	}
	r := &Reader{path: path, abs: abs, remotes: map[string]*remote{}}
	// The file is checked whole on open (bbolt's page check and every
	// record's checksum); a running writer checked it when it opened it,
	// and says whether it has seen damage since.
	err = r.do(context.Background(),
		func(db *bbolt.DB) error { return protect(func() error { return db.View(checkOpen) }) },
		func(rm *remote) error { return rm.ping(context.Background()) })
	if err != nil {
		r.Close()
		if de := refuse(path, err); de != err {
			return nil, de
		}
		return nil, fmt.Errorf("open store %s for reading: %w", path, err)
	}
	return r, nil
}

// do runs one read: through the socket of a writer that holds the file,
// or on the file itself.
func (r *Reader) do(ctx context.Context, local func(*bbolt.DB) error, viaWriter func(*remote) error) error {
	deadline := time.Now().Add(readerWait)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.isClosed() {
			return ErrClosed
		}
		if o := readOwner(r.abs); o != nil && o.Socket != "" {
			rm, err := r.remote(o.Socket)
			if err != nil {
				return err
			}
			if err := viaWriter(rm); !errors.Is(err, errNoServer) {
				return err
			}
		}
		if err := preflight(r.abs); err != nil {
			return err
		}
		// A tiny timeout: bbolt tries the lock once and gives up at once.
		db, err := openDB(r.abs, &bbolt.Options{ReadOnly: true, Timeout: time.Nanosecond})
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if err == nil {
			err = protect(func() error { return db.View(checkReadable) })
			if err == nil {
				err = local(db)
			}
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			return err
		}
		if !errors.Is(err, berrors.ErrTimeout) {
			return err
		}
		// Held by a writer whose owner file we have not seen (yet): its
		// socket is at one of the derived paths.
		for _, p := range socketPaths(r.abs) {
			rm, rerr := r.remote(p)
			if rerr != nil {
				return rerr
			}
			if err := viaWriter(rm); !errors.Is(err, errNoServer) {
				return err
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w, and it serves no readers", inUse(r.path))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Load returns the study's state; Study is nil when it does not exist.
func (r *Reader) Load(ctx context.Context, study string) (scheduler.StudyState, error) {
	var st scheduler.StudyState
	err := r.do(ctx,
		func(db *bbolt.DB) (err error) {
			// Read from the file itself: no writer holds it, so nothing runs.
			st, err = loadStudy(ctx, db, study)
			markStaleStudy(st.Study, noneLive)
			return err
		},
		func(rm *remote) error {
			var w wireStudy
			if err := rm.get(ctx, pathLoad, url.Values{"study": {study}}, &w); err != nil {
				return err
			}
			st = scheduler.StudyState{}
			if isNull(w.Study) {
				return nil
			}
			raw := &rawStudy{name: study, config: w.Study, trials: make([][]byte, len(w.Trials))}
			if !isNull(w.Snapshot) {
				raw.snapshot = w.Snapshot
			}
			for i, t := range w.Trials {
				raw.trials[i] = t
			}
			var err error
			st, err = raw.decode()
			if w.Live != nil {
				markStaleStudy(st.Study, func(string) bool { return *w.Live })
			}
			return err
		})
	if err != nil {
		return scheduler.StudyState{}, refuse(r.path, err)
	}
	return st, nil
}

// Studies lists every study in name order with its counts and best value.
func (r *Reader) Studies(ctx context.Context) ([]scheduler.StudyInfo, error) {
	var infos []scheduler.StudyInfo
	err := r.do(ctx,
		func(db *bbolt.DB) (err error) {
			infos, err = listStudies(ctx, db)
			markStale(infos, noneLive)
			return err
		},
		func(rm *remote) error {
			infos = nil
			return rm.get(ctx, pathStudies, nil, &infos)
		})
	return infos, refuse(r.path, err)
}

// Reports returns a trial's reports in step order.
func (r *Reader) Reports(ctx context.Context, study string, id int) ([]scheduler.Report, error) {
	var reps []scheduler.Report
	err := r.do(ctx,
		func(db *bbolt.DB) (err error) { reps, err = readReports(ctx, db, study, id); return err },
		func(rm *remote) error {
			var raw []json.RawMessage
			if err := rm.get(ctx, pathReports, url.Values{"study": {study}, "id": {strconv.Itoa(id)}}, &raw); err != nil {
				return err
			}
			b := make([][]byte, len(raw))
			for i := range raw {
				b[i] = raw[i]
			}
			var err error
			reps, err = decodeReports(study, id, b)
			return err
		})
	return reps, refuse(r.path, err)
}

// Log returns what q asks of a trial attempt's log.
func (r *Reader) Log(ctx context.Context, study string, q triallog.Query) (triallog.Log, error) {
	var l triallog.Log
	err := r.do(ctx,
		func(db *bbolt.DB) (err error) { l, err = readLog(ctx, db, study, q); return err },
		func(rm *remote) error {
			b, err := json.Marshal(q)
			if err != nil {
				return err
			}
			l = triallog.Log{}
			return rm.get(ctx, pathLog, url.Values{"study": {study}, "q": {string(b)}}, &l)
		})
	return l, refuse(r.path, err)
}

// Commit fails: a Reader never writes.
func (r *Reader) Commit(_ context.Context, study string, _ scheduler.Change) error {
	return fmt.Errorf("commit study %q: %w (%s is opened for reading)", study, ErrReadOnly, r.path)
}

// Close drops the connections to a writer. A second Close returns nil.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, rm := range r.remotes {
		rm.client.CloseIdleConnections()
	}
	r.remotes = nil
	return nil
}

func (r *Reader) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func (r *Reader) remote(socket string) (*remote, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	rm := r.remotes[socket]
	if rm == nil {
		rm = newRemote(socket)
		r.remotes[socket] = rm
	}
	return rm, nil
}

// remote is a client of one writer's socket.
type remote struct {
	client *http.Client
}

func newRemote(socket string) *remote {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", socket)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errNoServer, err)
		}
		return c, nil
	}
	return &remote{client: &http.Client{Transport: &http.Transport{
		DialContext:     dial,
		MaxIdleConns:    2,
		IdleConnTimeout: 30 * time.Second,
	}}}
}

// pingReply is the answer to pathPing.
type pingReply struct {
	SchemaVersion int `json:"schema_version"`
	// Damaged is the first damage the writer found in its file since it
	// opened it (a read, a backup's check); empty when none.
	Damaged string `json:"damaged,omitempty"`
}

// ping checks the writer answers, writes the schema this code reads and
// has found no damage.
func (rm *remote) ping(ctx context.Context) error {
	var p pingReply
	if err := rm.get(ctx, pathPing, nil, &p); err != nil {
		return err
	}
	switch v := p.SchemaVersion; {
	case v > schemaVersion:
		return newerError(v)
	case v != schemaVersion:
		return fmt.Errorf("the running writer has schema version %d, this automl reads version %d", v, schemaVersion)
	case p.Damaged != "":
		return &remoteError{msg: p.Damaged, corrupt: true}
	}
	return nil
}

// get asks the writer for path and decodes its JSON answer into out.
func (rm *remote) get(ctx context.Context, path string, q url.Values, out any) error {
	u := url.URL{Scheme: "http", Host: "automl", Path: path, RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := rm.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if json.Unmarshal(body, &e) != nil || e.Error == "" {
			return fmt.Errorf("writer answered %s", resp.Status)
		}
		return &remoteError{msg: e.Error, notFound: e.NotFound, noTrial: e.NoTrial, corrupt: e.Corrupt}
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode writer's answer: %w", err)
	}
	return nil
}

// remoteError is an error the writer answered, as it wrote it.
type remoteError struct {
	msg      string
	notFound bool
	noTrial  bool
	corrupt  bool // the writer found its file damaged
}

func (e *remoteError) Error() string { return e.msg }

func (e *remoteError) Is(target error) bool {
	return e.notFound && target == scheduler.ErrStudyNotFound || e.noTrial && target == triallog.ErrNoTrial || e.corrupt && target == ErrCorrupt
}

func isNull(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }
