package main

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"automl/report/dashboard"
	"automl/report/reporttest"
)

// pinnedGet GETs url over HTTPS, trusting only the certificate with the
// given fingerprint (what a user checks in the browser), with the token.
func pinnedGet(t *testing.T, url, fingerprint, token string) (int, string) {
	t.Helper()
	tc := &tls.Config{
		InsecureSkipVerify: true, // self-signed: pinned by fingerprint below instead
		VerifyConnection: func(cs tls.ConnectionState) error {
			if got := dashboard.Fingerprint(cs.PeerCertificates[0].Raw); got != fingerprint {
				return errors.New("certificate " + got + ", not the one printed")
			}
			return nil
		},
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// plainGet GETs url over plain HTTP and returns the status and body.
func plainGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func portOf(u string) string { return u[strings.LastIndex(u, ":")+1 : len(u)-1] }

// nonLoopbackIP is an IPv4 address of this machine other than loopback,
// or "" when it has none.
func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
			return ipn.IP.String()
		}
	}
	return ""
}

// Off loopback the dashboard serves HTTPS with a self-signed certificate
// whose fingerprint it prints, kept beside the study file (0700, 0600) and
// reused on the next start; plain HTTP gets no data there.
func TestDashboardHTTPSOffLoopback(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 9, Seed: 1}, false)
	env := []string{tokenEnv + "=s3cret"}
	u, fp := startDashboardTLS(t, dir, env, "--listen", "0.0.0.0:0")
	if !strings.HasPrefix(u, "https://") || fp == "" {
		t.Fatalf("printed %s with fingerprint %q; want https and a fingerprint", u, fp)
	}
	hosts := []string{"127.0.0.1"}
	if ip := nonLoopbackIP(); ip != "" {
		hosts = append(hosts, ip)
	}
	for _, h := range hosts {
		base := "https://" + h + ":" + portOf(u)
		if code, body := pinnedGet(t, base+"/api/studies", fp, "s3cret"); code != http.StatusOK || !strings.Contains(body, "fixture") {
			t.Errorf("HTTPS via %s: %d %.200s; want the studies", h, code, body)
		}
		if code, _ := pinnedGet(t, base+"/api/studies", fp, "wrong"); code != http.StatusUnauthorized {
			t.Errorf("HTTPS via %s with a wrong token: %d, want 401", h, code)
		}
		if code, body := plainGet(t, "http://"+h+":"+portOf(u)+"/api/studies"); code != http.StatusBadRequest || strings.Contains(body, "fixture") {
			t.Errorf("plain HTTP via %s: %d %.200s; want 400 and no data", h, code, body)
		}
	}

	tlsDir := filepath.Join(dir, "automl.db.tls")
	b, err := os.ReadFile(filepath.Join(tlsDir, dashboard.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	if blk, _ := pem.Decode(b); blk == nil || dashboard.Fingerprint(blk.Bytes) != fp {
		t.Errorf("the kept certificate is not the one printed (%s)", fp)
	}
	checkModes(t, tlsDir)

	if _, again := startDashboardTLS(t, dir, env, "--listen", "0.0.0.0:0"); again != fp {
		t.Errorf("second start printed %s; want the kept certificate's %s", again, fp)
	}
	// --tls-dir moves it: a new certificate there, none beside the study file.
	mine := filepath.Join(dir, "certs")
	if _, other := startDashboardTLS(t, dir, env, "--listen", "0.0.0.0:0", "--tls-dir", mine); other == fp || other == "" {
		t.Errorf("--tls-dir printed %q; want a new certificate", other)
	}
	checkModes(t, mine)
}

// checkModes asserts a certificate directory is 0700 and its files 0600.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v, want a directory of mode 0700", dir, err)
	}
	for _, f := range []string{dashboard.CertFile, dashboard.KeyFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, fi.Mode().Perm(), err)
		}
	}
}

// A certificate and key given are what is served, on any address, and no
// certificate is made; one without the other, or a key others may read,
// is a usage error.
func TestDashboardGivenCertificate(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 9, Seed: 1}, false)
	given, err := dashboard.SelfSigned(filepath.Join(dir, "given"), "127.0.0.1", net.ParseIP("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "given", dashboard.CertFile), filepath.Join(dir, "given", dashboard.KeyFile)
	env := []string{tokenEnv + "=s3cret"}
	for _, listen := range []string{"0.0.0.0:0", "127.0.0.1:0"} {
		u, fp := startDashboardTLS(t, dir, env, "--listen", listen, "--tls-cert", cert, "--tls-key", key)
		if !strings.HasPrefix(u, "https://") || fp != given.Fingerprint {
			t.Fatalf("--listen %s: printed %s %s; want https and the given certificate %s", listen, u, fp, given.Fingerprint)
		}
		if code, _ := pinnedGet(t, "https://127.0.0.1:"+portOf(u)+"/api/studies", given.Fingerprint, "s3cret"); code != http.StatusOK {
			t.Errorf("--listen %s: HTTPS with the given certificate: %d", listen, code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "automl.db.tls")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a certificate was made though one was given (%v)", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", cert}, "go together"},
		{[]string{"--tls-key", key}, "go together"},
		{[]string{"--tls-cert", cert, "--tls-key", key, "--tls-dir", dir}, "give one of them"},
		{[]string{"--tls-cert", cert, "--tls-key", filepath.Join(dir, "missing.pem")}, "missing.pem"},
	} {
		_, errOut, code := automl(t, dir, append([]string{"dashboard", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q; want exit 2 saying %q", tc.args, code, errOut, tc.want)
		}
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(key, 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := automl(t, dir, "dashboard", "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
		if code != exitUsage || !strings.Contains(errOut, key+" has mode 0644") || !strings.Contains(errOut, "chmod 600 "+key) {
			t.Errorf("a key at 0644: exit %d %q; want exit 2 with the mode and chmod 600", code, errOut)
		}
	}
}

// On loopback the dashboard stays plain HTTP, with nothing to configure
// and no certificate made.
func TestDashboardLoopbackStaysHTTP(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir, reporttest.Options{Trials: 9, Seed: 1}, false)
	u, fp := startDashboardTLS(t, dir, nil, "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(u, "http://127.0.0.1:") || fp != "" {
		t.Fatalf("printed %s %q; want plain http and no certificate", u, fp)
	}
	if code, body := plainGet(t, u+"api/studies"); code != http.StatusOK || !strings.Contains(body, "fixture") {
		t.Errorf("plain HTTP on loopback: %d %.200s", code, body)
	}
	if _, err := os.Stat(filepath.Join(dir, "automl.db.tls")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a certificate was made for loopback (%v)", err)
	}
}

func TestDashboardHelpShowsTLS(t *testing.T) {
	out, _, code := automl(t, t.TempDir(), "dashboard", "--help")
	for _, want := range []string{"Examples:", "automl dashboard --listen 0.0.0.0:8443 --tls-cert", "--tls-dir", "fingerprint"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("automl dashboard --help (exit %d) lacks %q", code, want)
		}
	}
}
