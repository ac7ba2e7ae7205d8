package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves the metrics and the health endpoints of --metrics:
//
//	/metrics  the registry in Prometheus's text exposition format
//	/healthz  200 "ok" while the process is alive
//	/readyz   200 "ready" when ready() returns nil, else 503 and the one
//	          line ready() returned (not connected to NATS, the study is
//	          owned by another scheduler, the study has ended, ...)
type Server struct {
	ln  net.Listener
	srv *http.Server
	end chan struct{}
}

// Serve listens on addr at once (a port that is taken, or an address that
// cannot be listened on, is an error now, naming the address) and serves
// in the background until Close. ready is called for each /readyz request,
// from the server's goroutines.
func Serve(addr string, m *Metrics, ready func() error) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	s := &Server{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, end: make(chan struct{})}
	go func() {
		defer close(s.end)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the address the server listens on (the port chosen for ":0").
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, waiting up to a second for scrapes in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.end
	if errors.Is(err, context.DeadlineExceeded) {
		return s.srv.Close()
	}
	return err
}
