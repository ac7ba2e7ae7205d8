package bolt

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"automl/scheduler"
	"automl/trial/triallog"
)

// The reader protocol: HTTP GET with JSON bodies over the writer's unix
// socket. Every answer is one read transaction of the writer's store, so
// it is as consistent as a local read.
const (
	pathPing    = "/v1/ping"
	pathLoad    = "/v1/load"    // ?study=
	pathStudies = "/v1/studies" //
	pathReports = "/v1/reports" // ?study=&id=
	pathCheck   = "/v1/check"   // the whole file, as Store.Check
	pathLog     = "/v1/log"     // ?study=&q= (a triallog.Query as JSON)
)

// wireStudy is the answer to pathLoad: the records as stored, passed
// through without decoding them on the writer's side.
type wireStudy struct {
	Study    json.RawMessage   `json:"study"`
	Snapshot json.RawMessage   `json:"snapshot"`
	Trials   []json.RawMessage `json:"trials"`
	// Live: the writer runs the study (absent from an older writer).
	Live *bool `json:"live,omitempty"`
}

// errorBody is the JSON of a failed request.
type errorBody struct {
	Error    string `json:"error"`
	NotFound bool   `json:"not_found,omitempty"`
	NoTrial  bool   `json:"no_trial,omitempty"`
	// Corrupt: the writer found its file damaged; Error then says what is
	// damaged, without the writer's advice (the reader gives its own).
	Corrupt bool `json:"corrupt,omitempty"`
}

type server struct {
	socket string
	http   *http.Server
	done   chan struct{}
}

// serve answers read requests on ln until close.
func serve(s *Store, ln net.Listener, socket string) *server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathPing, func(w http.ResponseWriter, r *http.Request) {
		p := pingReply{SchemaVersion: schemaVersion}
		if d := s.damage.Load(); d != nil {
			p.Damaged = *d
		}
		reply(w, p, nil)
	})
	mux.HandleFunc("GET "+pathCheck, func(w http.ResponseWriter, r *http.Request) {
		reply(w, s.Check(), nil)
	})
	mux.HandleFunc("GET "+pathLoad, func(w http.ResponseWriter, r *http.Request) {
		raw, err := loadRaw(r.Context(), s.db, r.URL.Query().Get("study"))
		if err != nil {
			reply(w, nil, err)
			return
		}
		writeRaw(w, raw, s.live.has(r.URL.Query().Get("study")))
	})
	mux.HandleFunc("GET "+pathStudies, func(w http.ResponseWriter, r *http.Request) {
		infos, err := s.Studies(r.Context())
		reply(w, infos, err)
	})
	mux.HandleFunc("GET "+pathReports, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		id, err := strconv.Atoi(q.Get("id"))
		if err != nil {
			reply(w, nil, err)
			return
		}
		raw, found, err := loadReportsRaw(r.Context(), s.db, q.Get("study"), id)
		if err == nil && !found {
			err = fmt.Errorf("reports of trial %d of study %q: %w", id, q.Get("study"), scheduler.ErrStudyNotFound)
		}
		if err != nil {
			reply(w, nil, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		bw := bufio.NewWriter(w)
		writeList(bw, raw)
		bw.Flush()
	})
	mux.HandleFunc("GET "+pathLog, func(w http.ResponseWriter, r *http.Request) {
		var q triallog.Query
		if err := json.Unmarshal([]byte(r.URL.Query().Get("q")), &q); err != nil {
			reply(w, nil, fmt.Errorf("log query: %w", err))
			return
		}
		l, err := readLog(r.Context(), s.db, r.URL.Query().Get("study"), q)
		reply(w, l, err)
	})
	srv := &server{
		socket: socket,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          log.New(io.Discard, "", 0),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(srv.done)
		_ = srv.http.Serve(ln) // returns when closed
	}()
	return srv
}

// writeRaw writes raw as a wireStudy; the stored records are valid JSON
// (this package encoded them), so they are copied as they are.
func writeRaw(w http.ResponseWriter, raw *rawStudy, live bool) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	if raw == nil {
		bw.WriteString(`{"study":null,"snapshot":null,"trials":[]}`)
		return
	}
	bw.WriteString(`{"study":`)
	bw.Write(raw.config)
	bw.WriteString(`,"snapshot":`)
	if raw.snapshot == nil {
		bw.WriteString("null")
	} else {
		bw.Write(raw.snapshot)
	}
	bw.WriteString(`,"trials":`)
	writeList(bw, raw.trials)
	fmt.Fprintf(bw, `,"live":%t}`, live)
}

func writeList(bw *bufio.Writer, items [][]byte) {
	bw.WriteByte('[')
	for i, b := range items {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.Write(b)
	}
	bw.WriteByte(']')
}

func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code := http.StatusInternalServerError
		notFound := errors.Is(err, scheduler.ErrStudyNotFound)
		noTrial := errors.Is(err, triallog.ErrNoTrial)
		if notFound {
			code = http.StatusNotFound
		}
		var de *DamagedError
		if errors.As(err, &de) {
			err = de.Err
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(errorBody{Error: err.Error(), NotFound: notFound, NoTrial: noTrial, Corrupt: errors.Is(err, ErrCorrupt)})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// close lets requests in flight finish (for a few seconds at most), then
// stops; closing the listener removes the socket file.
func (srv *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if srv.http.Shutdown(ctx) != nil {
		srv.http.Close()
	}
	<-srv.done
}
