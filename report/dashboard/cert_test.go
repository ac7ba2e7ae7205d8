package dashboard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"automl/internal/secretfile"
)

// The certificate made for all interfaces: ECDSA P-256, a year, the host
// name, every interface address and localhost; kept 0600 in a 0700
// directory, and the same one (same fingerprint) on the next start.
func TestSelfSignedMadeKeptReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "automl.db.tls")
	c, err := SelfSigned(dir, "", net.IPv4zero)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Created {
		t.Error("first certificate not reported as created")
	}
	leaf := c.TLS.Leaf
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if life := leaf.NotAfter.Sub(time.Now()); life < 364*24*time.Hour || life > 366*24*time.Hour {
		t.Errorf("valid for %v, want a year", life)
	}
	if leaf.Issuer.String() != leaf.Subject.String() || leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) != nil {
		t.Error("not self-signed")
	}
	want := []string{"localhost", "127.0.0.1", "::1"}
	if h, err := os.Hostname(); err == nil {
		want = append(want, h)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			want = append(want, ipn.IP.String())
		}
	}
	for _, n := range want {
		if err := leaf.VerifyHostname(n); err != nil {
			t.Errorf("certificate does not name %s: %v", n, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	sum := sha256.Sum256(blk.Bytes)
	if got := strings.ReplaceAll(c.Fingerprint, ":", ""); got != strings.ToUpper(hex.EncodeToString(sum[:])) || len(c.Fingerprint) != 95 {
		t.Errorf("fingerprint %s is not the file's SHA-256 as AB:CD:...", c.Fingerprint)
	}
	checkPrivate(t, dir)

	again, err := SelfSigned(dir, "", net.IPv4zero)
	if err != nil || again.Created || again.Fingerprint != c.Fingerprint {
		t.Fatalf("second start: created %v, fingerprint %s (%v); want the kept %s", again.Created, again.Fingerprint, err, c.Fingerprint)
	}
	// A concrete address the kept one names reuses it too.
	if again, err := SelfSigned(dir, "127.0.0.1", net.ParseIP("127.0.0.1")); err != nil || again.Fingerprint != c.Fingerprint {
		t.Errorf("127.0.0.1: fingerprint %s (%v), want the kept one", again.Fingerprint, err)
	}
}

// checkPrivate asserts the directory is 0700 and its files 0600.
func checkPrivate(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory %s: %v %v, want mode 0700", dir, fi.Mode(), err)
	}
	for _, f := range []string{CertFile, KeyFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, fi.Mode(), err)
		}
	}
}

// A kept certificate is replaced when it does not name the address, when
// it has less than a month left, and when its key is not its own; a key
// others may read is refused, not replaced.
func TestSelfSignedReplacedOrRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	first, err := SelfSigned(dir, "", net.IPv4zero)
	if err != nil {
		t.Fatal(err)
	}
	var other net.IP // a documentation address the first one does not name
	for _, a := range []string{"203.0.113.77", "198.51.100.77", "192.0.2.77"} {
		if first.TLS.Leaf.VerifyHostname(a) != nil {
			other = net.ParseIP(a)
			break
		}
	}
	c, err := SelfSigned(dir, other.String(), other)
	if err != nil || !c.Created || c.Fingerprint == first.Fingerprint || c.TLS.Leaf.VerifyHostname(other.String()) != nil {
		t.Fatalf("another address %s: created %v (%v); want a new certificate naming it", other, c.Created, err)
	}
	if c, err := SelfSigned(dir, "dash.example.com", other); err != nil || !c.Created || c.TLS.Leaf.VerifyHostname("dash.example.com") != nil {
		t.Errorf("a host name: created %v (%v); want a new certificate naming it", c.Created, err)
	}

	old := time.Now().Add(-certLife + renewBefore - time.Hour) // 29 days 23 hours left
	aging, err := selfSigned(dir, namesFor("", nil), old)
	if err != nil || !aging.Created {
		t.Fatal(err)
	}
	if c, err := SelfSigned(dir, "", nil); err != nil || !c.Created || c.NotAfter.Before(time.Now().Add(300*24*time.Hour)) {
		t.Errorf("a certificate with %v left: created %v, until %v (%v); want a new one", time.Until(aging.NotAfter), c.Created, c.NotAfter, err)
	}

	_, stray, err := makeCert([]string{"localhost"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := secretfile.Write(filepath.Join(dir, KeyFile), stray); err != nil {
		t.Fatal(err)
	}
	if c, err := SelfSigned(dir, "", nil); err != nil || !c.Created {
		t.Errorf("a key that is not the certificate's: created %v (%v); want a new pair", c.Created, err)
	}
	checkPrivate(t, dir)

	if runtime.GOOS == "windows" {
		return
	}
	key := filepath.Join(dir, KeyFile)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SelfSigned(dir, "", nil); !errors.Is(err, secretfile.ErrExposed) || !strings.Contains(err.Error(), "chmod 600 "+key) {
		t.Errorf("kept key at 0644: %v, want ErrExposed with the fix", err)
	}
	if _, err := LoadCert(filepath.Join(dir, CertFile), key); !errors.Is(err, secretfile.ErrExposed) {
		t.Errorf("LoadCert of a key at 0644: %v, want ErrExposed", err)
	}
}

// The certificate serves TLS that a client trusting it verifies by name,
// and LoadCert reads back the same pair (same fingerprint).
func TestCertServesTLS(t *testing.T) {
	dir := t.TempDir()
	c, err := SelfSigned(dir, "", net.IPv4zero)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadCert(filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
	if err != nil || loaded.Fingerprint != c.Fingerprint || loaded.Created {
		t.Fatalf("LoadCert: %v, fingerprint %s, want %s", err, loaded.Fingerprint, c.Fingerprint)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{loaded.TLS}}
	ts.StartTLS()
	defer ts.Close()
	roots := x509.NewCertPool()
	roots.AddCert(c.TLS.Leaf)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: name}}}
		resp, err := cl.Get(ts.URL)
		if err != nil {
			t.Fatalf("verified as %s: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || Fingerprint(resp.TLS.PeerCertificates[0].Raw) != c.Fingerprint {
			t.Errorf("as %s: status %d, fingerprint %s", name, resp.StatusCode, Fingerprint(resp.TLS.PeerCertificates[0].Raw))
		}
	}
}
