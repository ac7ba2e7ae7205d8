package natsbus_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"automl/backends/natsbus"
	"automl/backends/natsbus/fleet"
	"automl/backends/natsbus/natstest"
	"automl/trial"
)

// fleetOf starts an embedded server with a fleet directory, serving TLS on
// loopback, and returns it with its directory and join token.
func fleetOf(t *testing.T) (*natsbus.Embedded, *fleet.Dir, fleet.Token) {
	t.Helper()
	dir, err := fleet.Open(filepath.Join(t.TempDir(), "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	e := natstest.Start(t, natsbus.WithListen("127.0.0.1:0"), natsbus.WithFleet(dir, []string{"127.0.0.1"}, quiet()))
	tok, err := e.Token("")
	if err != nil {
		t.Fatal(err)
	}
	if tok.CAPin == nil || !strings.HasPrefix(tok.URL, "tls://") {
		t.Fatalf("token %+v: want a TLS server and its pin", tok)
	}
	return e, dir, tok
}

// The fleet's server admits its members only, and each member may do its
// part and nothing else; a worker that joins with the token runs the
// study's jobs.
func TestFleetServerAdmitsMembersOnly(t *testing.T) {
	e, dir, tok := fleetOf(t)
	ctx := context.Background()
	anon := []nats.Option{nats.Secure(fleet.ClientTLS(tok.CAPin))}
	if _, err := natsbus.Connect(tok.URL, "anonymous", quiet(), anon...); !errors.Is(err, natsbus.ErrRefused) {
		t.Fatalf("a client without credentials: %v, want refused", err)
	}
	wrongPin := tok
	wrongPin.CAPin = make([]byte, 32)
	if _, err := natsbus.Join(ctx, wrongPin, "gpu1", quiet()); err == nil || !strings.Contains(err.Error(), "authority") {
		t.Fatalf("a server the token does not pin was trusted: %v", err)
	}

	sched := natstest.Conn(t, e, "scheduler")
	d := newDispatcher(t, sched, natsbus.DispatcherOptions{Pools: []string{trial.DefaultPool}, JobKey: dir.JobKey()})
	wnc, err := natsbus.Join(ctx, tok, "GPU1", quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wnc.Close)
	startWorker(t, wnc, runFn(quick), natsbus.WorkerOptions{Slots: 1, Name: "GPU1", Trust: fleet.Trust{dir.JobKey().Public()}})
	s := spec(1, 1)
	if err := d.Dispatch(ctx, []trial.Spec{s}); err != nil {
		t.Fatal(err)
	}
	if ev := exitOf(t, untilExited(t, d, s.Key)[s.Key]); ev.Result.Outcome != trial.ExitDone || ev.Worker != "GPU1" {
		t.Fatalf("the joined worker's run: %+v from %q", ev.Result, ev.Worker)
	}
	if err := wnc.LastError(); err != nil {
		t.Fatalf("the worker's own work hit an error: %v", err)
	}
	if ws, _ := dir.Workers(); len(ws) != 1 || ws[0].Name != "gpu1" {
		t.Fatalf("enrolled workers %+v, want gpu1", ws)
	}

	joinOnly := joinConn(t, tok)
	refused := func(who string, nc *nats.Conn, subject string) {
		t.Helper()
		if err := nc.Publish(subject, []byte("x")); err != nil {
			t.Fatalf("%s publish: %v", who, err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatalf("%s flush: %v", who, err)
		}
		eventually(t, who+" refused "+subject, func() bool {
			last := nc.LastError()
			return last != nil && strings.Contains(last.Error(), "Permissions Violation for Publish to \""+subject+"\"")
		})
	}
	refused("the worker", wnc, "automl.trials.default."+study+"."+inc+".9")
	refused("the worker", wnc, "automl.events."+study+"."+inc+".1.gpu2")
	refused("the worker", wnc, "automl.control."+study+"."+inc+".1")
	refused("the worker", wnc, "$JS.API.STREAM.PURGE.AUTOML_TRIALS")
	refused("the join credential", joinOnly, "automl.events."+study+"."+inc+".1.gpu1")
	refused("the join credential", joinOnly, "$JS.API.STREAM.PURGE.AUTOML_TRIALS")

	// Revoked: the token enrolls nobody, and enrolled workers are cut off.
	if err := dir.Revoke(true, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the revoked worker cut off", func() bool { return !wnc.IsConnected() })
	jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := natsbus.Join(jctx, tok, "gpu3", quiet()); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("a revoked token still joins: %v", err)
	}
	fresh, err := e.Token("")
	if err != nil {
		t.Fatal(err)
	}
	again, err := natsbus.Join(ctx, fresh, "gpu3", quiet())
	if err != nil {
		t.Fatalf("the new token: %v", err)
	}
	again.Close()
}

// joinConn connects with a token's join credential only.
func joinConn(t *testing.T, tok fleet.Token) *nats.Conn {
	t.Helper()
	nc, err := natsbus.Connect(tok.URL, "join", quiet(), nats.Secure(fleet.ClientTLS(tok.CAPin)), natsbus.SeedOption(t, tok.Join), nats.CustomInboxPrefix("_INBOX_join"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
