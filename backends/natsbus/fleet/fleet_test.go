package fleet_test

import (
	"crypto/tls"
	"errors"
	"fmt"
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
	// A batch of five (an odd count: a node goes up unpaired) and one alone.
	var jobs []fleet.Job
	for i := range 5 {
		jobs = append(jobs, fleet.Job{Subject: fmt.Sprintf("automl.trials.default.s.i.%d", i), ID: fmt.Sprintf("s/i/%d/1", i), Data: []byte(fmt.Sprintf(`{"key":%d}`, i))})
	}
	signed := k.SignBatch(jobs)
	alone := fleet.Job{Subject: "automl.control.s.i.9", ID: "stop/s/i/9/1", Data: []byte("{}")}
	aloneSig := k.Sign(alone)
	for name, v := range map[string]*fleet.Verifier{"fresh": fleet.NewVerifier(fleet.Trust{other.JobKey().Public(), k.Public()})} {
		for i, j := range jobs {
			if err := v.Verify(signed[i], j); err != nil {
				t.Fatalf("%s: job %d of the batch fails: %v", name, i, err)
			}
		}
		if err := v.Verify(aloneSig, alone); err != nil {
			t.Fatalf("%s: a job signed alone fails: %v", name, err)
		}
	}
	cases := []struct {
		name string
		s    fleet.Signed
		j    fleet.Job
		want error
	}{
		{"unsigned", fleet.Signed{}, jobs[0], fleet.ErrUnsigned},
		{"altered payload", signed[0], fleet.Job{Subject: jobs[0].Subject, ID: jobs[0].ID, Data: []byte(`{"key":7}`)}, fleet.ErrAltered},
		{"other subject", signed[0], fleet.Job{Subject: jobs[1].Subject, ID: jobs[0].ID, Data: jobs[0].Data}, fleet.ErrAltered},
		{"other message id", signed[0], fleet.Job{Subject: jobs[0].Subject, ID: "s/i/0/2", Data: jobs[0].Data}, fleet.ErrAltered},
		{"another job's proof", signed[1], jobs[0], fleet.ErrAltered},
		{"garbage proof", fleet.Signed{Signer: signed[0].Signer, Signature: signed[0].Signature, Proof: "!!"}, jobs[0], fleet.ErrAltered},
		{"garbage signature", fleet.Signed{Signer: aloneSig.Signer, Signature: "AAAA", Proof: aloneSig.Proof}, alone, fleet.ErrAltered},
		{"garbage signer", fleet.Signed{Signer: "jobkey-xyz", Signature: aloneSig.Signature}, alone, fleet.ErrAltered},
	}
	for _, c := range cases {
		v := fleet.NewVerifier(fleet.Trust{k.Public()}) // nothing verified yet
		if err := v.Verify(c.s, c.j); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A verified root lets the batch's other jobs through, but only jobs
	// whose own proof leads to it.
	v := fleet.NewVerifier(fleet.Trust{k.Public()})
	if err := v.Verify(signed[0], jobs[0]); err != nil {
		t.Fatal(err)
	}
	forged := fleet.Signed{Signer: signed[2].Signer, Signature: "AAAA", Proof: signed[2].Proof}
	if err := v.Verify(forged, jobs[2]); err != nil {
		t.Errorf("a job of a verified batch: %v", err)
	}
	if err := v.Verify(forged, fleet.Job{Subject: jobs[2].Subject, ID: jobs[2].ID, Data: []byte("x")}); !errors.Is(err, fleet.ErrAltered) {
		t.Errorf("an altered job with a verified batch's proof: %v", err)
	}
	if err := fleet.NewVerifier(fleet.Trust{other.JobKey().Public()}).Verify(aloneSig, alone); !errors.Is(err, fleet.ErrUntrusted) {
		t.Errorf("a key the worker does not trust: %v", err)
	}
	// Jobs this process signed pass a verifier told to trust it here, even
	// with no signature check; others' do not.
	local := fleet.NewVerifier(fleet.Trust{})
	local.TrustLocal(k)
	if err := local.Verify(fleet.Signed{Signer: "x", Signature: "x", Proof: signed[3].Proof}, jobs[3]); err != nil {
		t.Errorf("a job this process signed: %v", err)
	}
	stranger := fleet.Job{Subject: "automl.trials.default.s.i.99", ID: "s/i/99/1", Data: []byte("{}")}
	if err := local.Verify(other.JobKey().Sign(stranger), stranger); !errors.Is(err, fleet.ErrUntrusted) {
		t.Errorf("a job another key signed, on a verifier trusting this process: %v", err)
	}
	id := "s/i/1/1"
	if l := k.Lease(id); !k.CheckLease(id, l) || k.CheckLease("s/i/1/2", l) || other.JobKey().CheckLease(id, l) || k.CheckLease(id, "") {
		t.Error("lease tokens do not tell jobs and keys apart")
	}
}

func BenchmarkSignBatch64(b *testing.B) {
	d, err := fleet.Open(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	jobs := make([]fleet.Job, 64)
	for i := range jobs {
		jobs[i] = fleet.Job{Subject: fmt.Sprintf("automl.trials.default.s.i.%d", i), ID: fmt.Sprintf("s/i/%d/1", i), Data: make([]byte, 400)}
	}
	for b.Loop() {
		d.JobKey().SignBatch(jobs)
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
