package natsbus_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"automl/backends/natsbus"
	"automl/backends/natsbus/natstest"
	"automl/internal/secretfile"
)

// A server that requires credentials refuses a worker without them (or
// with wrong ones) at once, with the server's reason; the right ones work,
// over TCP and in-process.
func TestAuthRequired(t *testing.T) {
	dir := t.TempDir()
	seed := writeNKeySeed(t, dir)
	cert, key := writeSelfSigned(t, dir)
	cases := []struct {
		name      string
		server    natsbus.Credentials
		good, bad natsbus.Credentials
		why       string
	}{
		{"user and password", natsbus.Credentials{User: "w", Password: "s3cret"},
			natsbus.Credentials{User: "w", Password: "s3cret"}, natsbus.Credentials{User: "w", Password: "guess"}, "authorization violation"},
		{"token", natsbus.Credentials{Token: "t0ken"},
			natsbus.Credentials{Token: "t0ken"}, natsbus.Credentials{}, "authorization violation"},
		{"nkey", natsbus.Credentials{NKeyFile: seed},
			natsbus.Credentials{NKeyFile: seed}, natsbus.Credentials{Token: "nope"}, "authorization violation"},
		{"tls", natsbus.Credentials{Token: "t", TLSCert: cert, TLSKey: key},
			natsbus.Credentials{Token: "t", TLSCA: cert}, natsbus.Credentials{Token: "t"}, "tls"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := natstest.Start(t, natsbus.WithListen("127.0.0.1:0"), natsbus.WithAuth(c.server))
			url := e.ClientURL()
			if c.server.TLSCert != "" {
				url = strings.Replace(url, "nats://", "tls://", 1)
			}
			bad, err := c.bad.Options()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if nc, err := natsbus.Connect(url, "intruder", quiet(), bad...); !errors.Is(err, natsbus.ErrRefused) || !strings.Contains(strings.ToLower(err.Error()), c.why) {
				if nc != nil {
					nc.Close()
				}
				t.Fatalf("connect with %+v: err %v; want ErrRefused saying %q", c.bad, err, c.why)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("refusal took %v", d)
			}
			good, err := c.good.Options()
			if err != nil {
				t.Fatal(err)
			}
			nc, err := natsbus.Connect(url, "worker", quiet(), good...)
			if err != nil {
				t.Fatalf("connect with the right credentials: %v", err)
			}
			defer nc.Close()
			if err := natsbus.EnsureStreams(context.Background(), js(t, nc)); err != nil {
				t.Fatal(err)
			}
			in := natstest.Conn(t, e, "in-process")
			if err := natsbus.EnsureStreams(context.Background(), js(t, in)); err != nil {
				t.Fatalf("in-process connection with the server's credentials: %v", err)
			}
		})
	}
}

func TestCredentialsChecked(t *testing.T) {
	for _, c := range []natsbus.Credentials{
		{User: "only"},
		{User: "u", Password: "p", Token: "t"},
		{TLSCert: "cert.pem"},
		{NKeyFile: "/nonexistent/seed"},
		{CredsFile: "/nonexistent/user.creds"},
	} {
		if _, err := c.Options(); !errors.Is(err, natsbus.ErrCredentials) {
			t.Errorf("%+v: err %v, want ErrCredentials", c, err)
		}
	}
	if _, err := natsbus.StartEmbedded(t.TempDir(), natsbus.WithAuth(natsbus.Credentials{CredsFile: "x.creds"})); !errors.Is(err, natsbus.ErrCredentials) {
		t.Errorf("embedded server with a creds file: err %v, want ErrCredentials", err)
	}
}

// Like ssh, a seed, credentials file or TLS key that other users may read
// is refused, by the client and the embedded server alike, with the file,
// its mode and the fix; at 0600 the same file is taken.
func TestCredentialFilesOthersMayReadAreRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("modes do not describe access on Windows")
	}
	dir := t.TempDir()
	seed := writeNKeySeed(t, dir)
	cert, key := writeSelfSigned(t, dir)
	creds := filepath.Join(dir, "worker.creds")
	if err := os.WriteFile(creds, []byte("-----BEGIN NATS USER JWT-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file  string
		creds natsbus.Credentials
	}{
		{seed, natsbus.Credentials{NKeyFile: seed}},
		{creds, natsbus.Credentials{CredsFile: creds}},
		{key, natsbus.Credentials{Token: "t", TLSCert: cert, TLSKey: key}},
	} {
		if _, err := c.creds.Options(); err != nil {
			t.Fatalf("%s at 0600: %v", c.file, err)
		}
		for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
			if err := os.Chmod(c.file, mode); err != nil {
				t.Fatal(err)
			}
			_, err := c.creds.Options()
			if !errors.Is(err, natsbus.ErrCredentials) || !errors.Is(err, secretfile.ErrExposed) {
				t.Fatalf("%s at %04o: err %v, want ErrCredentials and ErrExposed", c.file, mode, err)
			}
			for _, want := range []string{c.file, fmt.Sprintf("mode %04o", mode), "chmod 600 " + c.file} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s at %04o: %q does not say %q", c.file, mode, err, want)
				}
			}
		}
		if c.creds.CredsFile == "" { // the embedded server takes no creds file at all
			_, err := natsbus.StartEmbedded(t.TempDir(), natsbus.WithAuth(c.creds))
			if !errors.Is(err, secretfile.ErrExposed) {
				t.Errorf("embedded server with %s at 0604: err %v, want ErrExposed", c.file, err)
			}
		}
		if err := os.Chmod(c.file, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func writeNKeySeed(t *testing.T, dir string) string {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "worker.nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeSelfSigned writes a certificate for 127.0.0.1 (its own CA) and its key.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "automl test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
