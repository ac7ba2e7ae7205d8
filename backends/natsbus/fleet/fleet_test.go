package fleet_test

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"automl/backends/natsbus/fleet"
)

var now = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func open(t *testing.T) *fleet.Dir {
	t.Helper()
	d, err := fleet.Open(filepath.Join(t.TempDir(), "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpenKeepsKeysAndRefusesOpenFiles(t *testing.T) {
	d := open(t)
	again, err := fleet.Open(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !d.JobKey().Public().Equal(again.JobKey().Public()) || d.SchedulerSeed() != again.SchedulerSeed() {
		t.Fatal("reopening the directory made new keys")
	}
	st, err := os.Stat(d.Path())
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
	key := filepath.Join(d.Path(), "jobs.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = fleet.Open(d.Path())
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+key) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("a world-readable key was accepted or badly reported: %v", err)
	}
	_ = os.Chmod(key, 0o600)
	if err := os.Chmod(d.Path(), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.Open(d.Path()); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("an open directory was accepted: %v", err)
	}
	_ = os.Chmod(d.Path(), 0o700)
	if err := os.WriteFile(key, []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.Open(d.Path()); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a damaged key was accepted: %v", err)
	}
}

func TestJobSignatures(t *testing.T) {
	d, other := open(t), open(t)
	k := d.JobKey()
	signer := fleet.FormatKey(k.Public())
	subject, id, data := "automl.trials.default.s.i.1", "s/i/1/1", []byte(`{"key":1}`)
	sig := k.Sign(subject, id, data)
	trust := fleet.Trust{other.JobKey().Public(), k.Public()}
	if err := trust.Verify(signer, sig, subject, id, data); err != nil {
		t.Fatalf("a good signature fails: %v", err)
	}
	cases := []struct {
		name                 string
		signer, sig, subject string
		id                   string
		data                 []byte
		want                 error
	}{
		{"unsigned", "", "", subject, id, data, fleet.ErrUnsigned},
		{"altered payload", signer, sig, subject, id, []byte(`{"key":2}`), fleet.ErrAltered},
		{"other subject", signer, sig, "automl.trials.default.s.i.2", id, data, fleet.ErrAltered},
		{"other message id", signer, sig, subject, "s/i/1/2", data, fleet.ErrAltered},
		{"garbage signature", signer, "!!", subject, id, data, fleet.ErrAltered},
		{"garbage signer", "jobkey-xyz", sig, subject, id, data, fleet.ErrAltered},
	}
	for _, c := range cases {
		if err := trust.Verify(c.signer, c.sig, c.subject, c.id, c.data); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := (fleet.Trust{other.JobKey().Public()}).Verify(signer, sig, subject, id, data); !errors.Is(err, fleet.ErrUntrusted) {
		t.Errorf("a key the worker does not trust: %v", err)
	}
	if l := k.Lease(id); !k.CheckLease(id, l) || k.CheckLease("s/i/1/2", l) || other.JobKey().CheckLease(id, l) || k.CheckLease(id, "") {
		t.Error("lease tokens do not tell jobs and keys apart")
	}
}

func TestTokenRoundTrip(t *testing.T) {
	d := open(t)
	join, err := d.Join(now)
	if err != nil {
		t.Fatal(err)
	}
	tok := fleet.Token{URL: "tls://10.0.0.5:4222", CAPin: make([]byte, 32), JobKey: d.JobKey().Public(), Join: join}
	tok.CAPin[0] = 7
	got, err := fleet.ParseToken("  " + tok.String() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != tok.URL || string(got.CAPin) != string(tok.CAPin) || !got.JobKey.Equal(tok.JobKey) || got.Join != join {
		t.Fatalf("round trip: %+v, want %+v", got, tok)
	}
	s := tok.String()
	for _, bad := range []string{"", "automl-join1.", "nats://host:4222", s[:len(s)-5], strings.Replace(s, "automl-join1.", "automl-join2.", 1)} {
		if _, err := fleet.ParseToken(bad); !errors.Is(err, fleet.ErrToken) {
			t.Errorf("ParseToken(%.30q): %v, want ErrToken", bad, err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	kp, _ := nkeys.CreateUser()
	seed, _ := kp.Seed()
	f.Add(fleet.Token{URL: "nats://h:1", JobKey: make([]byte, 32), Join: string(seed)}.String())
	f.Add("automl-join1.e30")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := fleet.ParseToken(s)
		if err != nil {
			return
		}
		again, err := fleet.ParseToken(tok.String())
		if err != nil || again.URL != tok.URL || again.Join != tok.Join || !again.JobKey.Equal(tok.JobKey) {
			t.Fatalf("a parsed token does not survive a round trip: %+v %v", again, err)
		}
	})
}

func TestEnrollAndRevoke(t *testing.T) {
	d := open(t)
	first, err := d.Join(now)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := d.Join(now); again != first {
		t.Fatal("the join credential changed without a revoke")
	}
	var keys []string
	for i := range 10 {
		kp, _ := nkeys.CreateUser()
		pub, _ := kp.PublicKey()
		keys = append(keys, pub)
		if err := d.Enroll("gpu1", pub, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := nkeys.CreateUser()
	otherPub, _ := other.PublicKey()
	if err := d.Enroll("gpu2", otherPub, now); err != nil {
		t.Fatal(err)
	}
	if err := d.Enroll("gpu3", "not-a-key", now); err == nil {
		t.Error("a bad key was enrolled")
	}
	ws, err := d.Workers()
	if err != nil {
		t.Fatal(err)
	}
	var gpu1 []string
	for _, w := range ws {
		if w.Name == "gpu1" {
			gpu1 = append(gpu1, w.NKey)
		}
	}
	if len(ws) != 9 || strings.Join(gpu1, ",") != strings.Join(keys[2:], ",") {
		t.Fatalf("registry %d entries, gpu1 keys %v; want the newest 8 of gpu1 and gpu2", len(ws), gpu1)
	}
	stamp := d.Stamp()
	if err := d.Revoke(false, now); err != nil {
		t.Fatal(err)
	}
	if j, _ := d.Join(now); j == first {
		t.Error("revoke kept the join credential")
	}
	if ws, _ := d.Workers(); len(ws) != 9 {
		t.Errorf("revoke without workers removed workers: %d left", len(ws))
	}
	if err := d.Revoke(true, now); err != nil {
		t.Fatal(err)
	}
	if ws, _ := d.Workers(); len(ws) != 0 || d.Stamp() == stamp {
		t.Errorf("revoke --workers left %d workers (stamp changed: %v)", len(ws), d.Stamp() != stamp)
	}
}

func TestPinnedTLS(t *testing.T) {
	d, other := open(t), open(t)
	certFile, keyFile, pin, err := d.ServerTLS([]string{"127.0.0.1", "gpu-head"}, now)
	if err != nil {
		t.Fatal(err)
	}
	_, _, otherPin, err := other.ServerTLS([]string{"127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{certFile, keyFile} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, st.Mode().Perm(), err)
		}
	}
	// The same hosts: the same certificate; a new host: a new one, same CA.
	c2, _, pin2, _ := d.ServerTLS([]string{"127.0.0.1"}, now)
	before, _ := os.ReadFile(c2)
	_, _, pin3, _ := d.ServerTLS([]string{"127.0.0.1", "10.1.2.3"}, now)
	after, _ := os.ReadFile(certFile)
	if string(pin2) != string(pin) || string(pin3) != string(pin) || string(before) == string(after) {
		t.Error("the authority changed, or a certificate that lacks a host was kept")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	dial := func(pin []byte) error {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), fleet.ClientTLS(pin))
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(pin); err != nil {
		t.Fatalf("the pinned authority's server refused: %v", err)
	}
	if err := dial(otherPin); err == nil || !strings.Contains(err.Error(), "not from the authority") {
		t.Fatalf("a server of another authority was accepted: %v", err)
	}
}
