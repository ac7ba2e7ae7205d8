package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"automl/report/dashboard"
)

func init() {
	prev := extraCommands
	extraCommands = func() []*cobra.Command { return append(prev(), newDashboardCmd()) }
}

// tokenEnv holds the dashboard's token when --token is not given.
const tokenEnv = "AUTOML_DASHBOARD_TOKEN"

func newDashboardCmd() *cobra.Command {
	var db, listen, token string
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a live page of every study in the study file",
		Long: `Serve a live, read-only web page of the studies in the study file: the views
of automl report --format html (summary, best trial, plots, leaderboard),
updated as studies run. It reads the file the way automl report does, so
it works beside a running automl search.

It listens on 127.0.0.1:8080 by default. On any other address (another
interface, 0.0.0.0, :8080) it refuses to start without a token (--token or
` + tokenEnv + `), and then every request needs it: open
http://HOST:PORT/?token=TOKEN once, or send Authorization: Bearer TOKEN.`,
		Example: `  automl dashboard
  automl dashboard --db runs/automl.db --listen 127.0.0.1:9000
  AUTOML_DASHBOARD_TOKEN=$(openssl rand -hex 16) automl dashboard --listen 0.0.0.0:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("token") {
				token = os.Getenv(tokenEnv)
			}
			return runDashboard(cmd, db, listen, token)
		},
	}
	addDBFlag(cmd, &db)
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on (host:port); non-loopback needs --token")
	cmd.Flags().StringVar(&token, "token", "", "a secret every request must carry (default $"+tokenEnv+")")
	return cmd
}

func runDashboard(cmd *cobra.Command, db, listen, token string) error {
	loopback, err := dashboard.CheckListen(listen, token)
	if err != nil {
		return usageError{err}
	}
	st, err := openReader(db)
	if err != nil {
		return err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := dashboard.New(st, dashboard.Options{Token: token, LocalHostsOnly: loopback && token == "", Logger: log})
	defer srv.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return usagef("listen on %s: %v", listen, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	url := "http://" + ln.Addr().String() + "/"
	if token != "" {
		url += "?token=…"
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "automl dashboard: %s (study file %s; Ctrl-C stops)\n", url, db)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
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
