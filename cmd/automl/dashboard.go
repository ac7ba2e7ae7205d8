package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"automl/internal/secretfile"
	"automl/report/dashboard"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newDashboardCmd()) }
}

// tokenEnv holds the dashboard's token when --token is not given.
const tokenEnv = "AUTOML_DASHBOARD_TOKEN"

// dashboardFlags are automl dashboard's flags.
type dashboardFlags struct {
	db, listen, token       string
	tlsCert, tlsKey, tlsDir string
	refPoint                string
}

func newDashboardCmd() *cobra.Command {
	var f dashboardFlags
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a live page of every study in the study file",
		Long: `Serve a live, read-only web page of the studies in the study file: the views
of automl report --format html (summary, best trial, plots, leaderboard),
updated as studies run. It reads the file the way automl report does, so
it works beside a running automl search.

It listens on 127.0.0.1:8080 by default, over plain HTTP. On any other
address (another interface, 0.0.0.0, :8080) it refuses to start without a
token (--token or ` + tokenEnv + `), and then every request needs it: open
https://HOST:PORT/?token=TOKEN once, or send Authorization: Bearer TOKEN.

Off loopback it serves HTTPS: with --tls-cert and --tls-key when given,
else with a self-signed certificate it makes (ECDSA P-256, a year, naming
this host and its addresses) and keeps in --tls-dir (default: STUDYFILE.tls
beside the study file) for the next start. It prints the certificate's
SHA-256 fingerprint: check that your browser shows the same before you
accept it. A key file others may read is refused (chmod 600 it).

--ref-point sets the reference point of the hypervolume (as automl report's)
for the studies with as many objectives as it has values; the others keep
theirs (the nadir of the feasible trials plus 10% of their range).`,
		Example: `  automl dashboard
  automl dashboard --db runs/automl.db --listen 127.0.0.1:9000
  AUTOML_DASHBOARD_TOKEN=$(openssl rand -hex 16) automl dashboard --listen 0.0.0.0:8080
  automl dashboard --listen 0.0.0.0:8443 --tls-cert dash.example.com.pem --tls-key dash.example.com.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("token") {
				f.token = os.Getenv(tokenEnv)
			}
			return runDashboard(cmd, &f)
		},
	}
	fl := cmd.Flags()
	addDBFlag(cmd, &f.db)
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on (host:port); non-loopback needs --token and serves HTTPS")
	fl.StringVar(&f.token, "token", "", "a secret every request must carry (default $"+tokenEnv+")")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM, with --tls-key), on any address")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the certificate's private key (PEM; mode 0600)")
	fl.StringVar(&f.refPoint, "ref-point", "", "the hypervolume's reference point for studies of as many objectives, e.g. 1.1,1.1")
	fl.StringVar(&f.tlsDir, "tls-dir", "", "where the self-signed certificate is kept (default: the study file's path + .tls)")
	return cmd
}

func runDashboard(cmd *cobra.Command, f *dashboardFlags) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together: give a certificate and its key, or neither")
	}
	if f.tlsCert != "" && f.tlsDir != "" {
		return usagef("--tls-dir keeps the self-signed certificate, which --tls-cert replaces: give one of them")
	}
	if f.refPoint != "" {
		parts := strings.Split(f.refPoint, ",")
		for i, p := range parts {
			if x, err := strconv.ParseFloat(strings.TrimSpace(p), 64); err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return usagef("--ref-point %q: value %d is %q, not a finite number", f.refPoint, i+1, strings.TrimSpace(p))
			}
		}
		if len(parts) < 2 {
			return usagef("--ref-point %q: one value per objective, for studies of two or more", f.refPoint)
		}
	}
	loopback, err := dashboard.CheckListen(f.listen, f.token)
	if err != nil {
		return usageError{err}
	}
	var cert *dashboard.Cert
	if f.tlsCert != "" {
		if cert, err = dashboard.LoadCert(f.tlsCert, f.tlsKey); err != nil {
			return usageError{err}
		}
		if time.Now().After(cert.NotAfter) {
			fmt.Fprintf(cmd.ErrOrStderr(), "automl dashboard: warning: %s expired on %s; browsers will refuse it\n", f.tlsCert, cert.NotAfter.Format(time.DateOnly))
		}
	}
	st, err := openReader(f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := dashboard.New(st, dashboard.Options{Token: f.token, LocalHostsOnly: loopback && f.token == "", RefPoint: f.refPoint, Logger: log})
	defer srv.Close()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return usagef("listen on %s: %v", f.listen, err)
	}
	defer ln.Close()
	if cert == nil && !loopback {
		if cert, err = selfSignedCert(cmd, f, ln.Addr()); err != nil {
			return err
		}
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	where := ln.Addr().String()
	if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
		// On every interface: the host name, which the certificate names,
		// is an address others can open; [::] is not.
		if h, err := os.Hostname(); err == nil && h != "" {
			where = net.JoinHostPort(h, strconv.Itoa(a.Port))
		}
	}
	url, serve := "http://"+where+"/", func() error { return hs.Serve(ln) }
	if cert != nil {
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.TLS}, MinVersion: tls.VersionTLS12}
		url, serve = "https://"+where+"/", func() error { return hs.ServeTLS(ln, "", "") }
	}
	if f.token != "" {
		url += "?token=…"
	}
	if cert != nil {
		url += "  certificate SHA-256 " + cert.Fingerprint
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "automl dashboard: %s  (study file %s; Ctrl-C stops)\n", url, f.db)
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	srv.Close() // ends the event streams, so Shutdown need not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// selfSignedCert returns the certificate kept beside the study file (or in
// --tls-dir) for the address bound, making one when needed.
func selfSignedCert(cmd *cobra.Command, f *dashboardFlags, bound net.Addr) (*dashboard.Cert, error) {
	dir := f.tlsDir
	if dir == "" {
		dir = f.db + ".tls"
	}
	host, _, _ := net.SplitHostPort(f.listen) // CheckListen has parsed it
	var ip net.IP
	if a, ok := bound.(*net.TCPAddr); ok {
		ip = a.IP
	}
	cert, err := dashboard.SelfSigned(dir, host, ip)
	if errors.Is(err, secretfile.ErrExposed) {
		return nil, usageError{err}
	}
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate in %s: %w", dir, err)
	}
	if cert.Created {
		fmt.Fprintf(cmd.ErrOrStderr(), "automl dashboard: made a self-signed certificate, valid until %s, in %s\n",
			cert.NotAfter.Format(time.DateOnly), filepath.Join(dir, dashboard.CertFile))
	}
	return cert, nil
}
