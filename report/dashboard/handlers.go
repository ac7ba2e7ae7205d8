package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"automl/report"
	"automl/scheduler"
)

// studyInfo is one study in the listing the page follows.
type studyInfo struct {
	Name    string         `json:"name"`
	Status  string         `json:"status"`
	Updated time.Time      `json:"updated"`
	Trials  map[string]int `json:"trials"`
	Best    *float64       `json:"best,omitempty"`
}

func listing(infos []scheduler.StudyInfo) []studyInfo {
	out := make([]studyInfo, 0, len(infos))
	for _, in := range infos {
		s := studyInfo{Name: in.Name, Status: string(in.Status), Updated: in.Updated, Trials: map[string]int{}}
		for st, n := range in.Counts {
			s.Trials[st.String()] = n
		}
		if in.HasBest {
			b := in.Best
			s.Best = &b
		}
		out = append(out, s)
	}
	return out
}

// page serves the report page for ?study= (default: the study updated
// last) with that study's data inside, marked live.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	infos, err := s.store.Studies(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	name := r.URL.Query().Get("study")
	if name == "" && len(infos) > 0 {
		latest := slices.MaxFunc(infos, func(a, b scheduler.StudyInfo) int { return a.Updated.Compare(b.Updated) })
		name = latest.Name
	}
	var data []byte
	if name != "" {
		data, err = s.view(r, name, infos)
		if errors.Is(err, scheduler.ErrStudyNotFound) {
			http.Error(w, "no study "+name, http.StatusNotFound)
			return
		}
		if err != nil {
			s.fail(w, err)
			return
		}
	} else {
		data = []byte(`{"version":1,"empty":true,"view":{"live":true}}`)
	}
	b := report.AppendPageHead(nil, "automl dashboard")
	b = append(b, `<script type="application/json" id="automl-data">`...)
	b = append(b, data...)
	b = append(b, "</script>\n"...)
	b = report.AppendPageTail(b)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", report.ContentSecurityPolicy())
	w.Write(b)
}

// studies serves the listing.
func (s *Server) studies(w http.ResponseWriter, r *http.Request) {
	infos, err := s.store.Studies(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, listing(infos))
}

// study serves one study's data, as the page embeds it.
func (s *Server) study(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		http.Error(w, "want ?name=STUDY", http.StatusBadRequest)
		return
	}
	infos, err := s.store.Studies(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	b, err := s.view(r, name, infos)
	if errors.Is(err, scheduler.ErrStudyNotFound) {
		http.Error(w, "no study "+name, http.StatusNotFound)
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// view builds (or finds in the cache) a study's page data, given the
// current listing. The cache is keyed by the study's Updated time, which
// every scheduler commit moves.
func (s *Server) view(r *http.Request, name string, infos []scheduler.StudyInfo) ([]byte, error) {
	i := slices.IndexFunc(infos, func(in scheduler.StudyInfo) bool { return in.Name == name })
	if i < 0 {
		return nil, scheduler.ErrStudyNotFound
	}
	key := cacheKey{name, infos[i].Updated}
	return s.cache.get(key, func() ([]byte, error) {
		d, err := report.Load(r.Context(), s.store, name, report.Options{MaxCurves: s.opt.MaxCurves, RefPoint: s.opt.RefPoint})
		if errors.Is(err, report.ErrBadPlot) { // a study the reference point does not fit: its default
			d, err = report.Load(r.Context(), s.store, name, report.Options{MaxCurves: s.opt.MaxCurves})
		}
		if err != nil {
			return nil, err
		}
		return d.AppendJSON(nil, report.View{Live: true}, time.Now()), nil
	})
}

// events streams the listing as server-sent events: once at once, then
// whenever it changes; a comment every 15 s keeps proxies from closing it.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, cancel := s.hub.subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			if _, err := w.Write(append(append([]byte("data: "), msg...), "\n\n"...)); err != nil {
				return
			}
			fl.Flush()
		case <-keepAlive.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	s.opt.Logger.Error("dashboard", "err", err)
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
