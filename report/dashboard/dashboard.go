// Package dashboard serves a live, read-only page of every study in a
// store: the same views as the HTML report (package report), refreshed as
// studies run. The page follows a stream of server-sent events that says
// when a study changed and then fetches that study's data; one poller per
// server reads the store's study listing, however many pages are open.
//
// It reads through scheduler.Reader only (a bolt Reader in the product, so
// it never blocks a running scheduler) and answers GET and HEAD alone.
// Exposure is the caller's choice, checked by CheckListen: a loopback
// address needs nothing; any other needs a token, and then every request
// must carry it (an Authorization bearer header, the cookie the page sets,
// or ?token= once in the first URL). Off loopback the command serves it over
// TLS, with a certificate given (LoadCert) or a self-signed one kept beside
// the study file (SelfSigned), whose fingerprint users check.
package dashboard

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"automl/scheduler"
)

// Options configure a Server.
type Options struct {
	// Token, when set, is required on every request.
	Token string
	// LocalHostsOnly rejects requests whose Host header is not a loopback
	// name or address: on a loopback listener without a token it stops a
	// web page elsewhere from reading the dashboard by DNS rebinding.
	LocalHostsOnly bool
	// Poll is how often the store's listing is read for changes while a
	// page is open (default 1s).
	Poll time.Duration
	// MaxCurves bounds the learning curves of a study's view (see
	// report.Options).
	MaxCurves int
	// RefPoint is the hypervolume's reference point (report.Options) for
	// the studies with as many objectives as it has values; the others
	// get their default (the page says which).
	RefPoint string
	Logger   *slog.Logger
}

// Server is the dashboard's http.Handler. It is safe for concurrent use.
type Server struct {
	store scheduler.Reader
	opt   Options
	mux   *http.ServeMux
	hub   *hub
	cache *viewCache
}

// New returns a dashboard over st. Close stops its poller.
func New(st scheduler.Reader, opt Options) *Server {
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: st, opt: opt, mux: http.NewServeMux(), cache: newViewCache(4)}
	s.hub = newHub(st, opt.Poll, opt.Logger)
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /api/studies", s.studies)
	s.mux.HandleFunc("GET /api/study", s.study)
	s.mux.HandleFunc("GET /api/events", s.events)
	return s
}

// Close stops the poller and ends the event streams.
func (s *Server) Close() { s.hub.close() }

// ServeHTTP checks the host and the token, then routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "the dashboard is read-only", http.StatusMethodNotAllowed)
		return
	}
	if s.opt.LocalHostsOnly && !isLocalHost(r.Host) {
		http.Error(w, "this dashboard answers only to localhost, 127.0.0.1 or [::1]", http.StatusForbidden)
		return
	}
	if s.opt.Token != "" && !s.authorize(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

const tokenCookie = "automl_dashboard_token"

// authorize accepts the token from the Authorization header, the cookie,
// or (on the page) the query, which it moves into a cookie and out of the
// URL. It answers 401 itself when the token is missing or wrong.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.tokenOK(tok) {
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && s.tokenOK(c.Value) {
		return true
	}
	if q := r.URL.Query(); q.Has("token") && s.tokenOK(q.Get("token")) {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q.Get("token"), Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="automl dashboard"`)
	http.Error(w, "this dashboard needs its token: open it as /?token=TOKEN, or send Authorization: Bearer TOKEN", http.StatusUnauthorized)
	return false
}

func (s *Server) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.opt.Token)) == 1
}

// ErrTokenRequired is returned by CheckListen for an address that others
// can reach when no token is set.
var ErrTokenRequired = errors.New("a dashboard on a non-loopback address needs a token")

// CheckListen decides whether the dashboard may listen on addr: a loopback
// address always; any other (all interfaces, a LAN address, a host name)
// only with a token. It reports whether addr is loopback.
func CheckListen(addr, token string) (loopback bool, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	loopback = isLoopbackHost(host)
	if !loopback && token == "" {
		shown := host
		if shown == "" {
			shown = "every interface"
		}
		return false, fmt.Errorf("%w: %s is reachable from other machines; set --token or AUTOML_DASHBOARD_TOKEN, or listen on 127.0.0.1", ErrTokenRequired, shown)
	}
	return loopback, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// isLocalHost reports whether a request's Host header names this machine
// by a loopback name or address.
func isLocalHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return isLoopbackHost(host)
}
