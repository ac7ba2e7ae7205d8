package dashboard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"automl/internal/secretfile"
)

// Cert is a certificate the dashboard serves HTTPS with, and what a user
// checks it by.
type Cert struct {
	TLS tls.Certificate
	// Fingerprint is the SHA-256 of the certificate (DER) as browsers show
	// it: upper-case hex pairs joined by colons.
	Fingerprint string
	// NotAfter is when the certificate expires.
	NotAfter time.Time
	// Created is set when SelfSigned made the certificate: none was kept,
	// or the kept one was expiring or did not name this address.
	Created bool
}

// File names of the self-signed certificate and its key in SelfSigned's
// directory.
const (
	CertFile = "dashboard-cert.pem"
	KeyFile  = "dashboard-key.pem"
)

const (
	certLife = 365 * 24 * time.Hour
	// A kept certificate with less than this left is replaced, so one does
	// not expire under a dashboard that runs for weeks.
	renewBefore = 30 * 24 * time.Hour
)

// LoadCert reads a certificate and its private key (PEM). Like ssh, it
// refuses a key file others may open (secretfile.ErrExposed).
func LoadCert(certFile, keyFile string) (*Cert, error) {
	if err := secretfile.Check("TLS private key", keyFile); err != nil {
		return nil, err
	}
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return newCert(c, false)
}

// SelfSigned returns the self-signed certificate kept in dir for a
// dashboard listening on host (the --listen host: a name, an address, or
// empty for all interfaces) and bound to ip. It reuses the kept one while
// its key matches, it is valid for another 30 days, and it names this
// machine's host name, a host name given and a concrete ip; otherwise it
// makes a new one (ECDSA P-256, valid a year) and keeps it there (files
// 0600; dir, when made, 0700). Listening on all interfaces, a new certificate also
// names every interface address (and localhost), but their changes (a VPN,
// a container network) do not replace a kept one: the fingerprint users
// verified stays. A kept key others may open is refused, as LoadCert does.
func SelfSigned(dir, host string, ip net.IP) (*Cert, error) {
	return selfSigned(dir, namesFor(host, ip), time.Now())
}

// certNames are the names a certificate must carry to be reused (need)
// and those a new one carries besides (more): IP addresses or DNS names.
type certNames struct{ need, more []string }

func namesFor(host string, ip net.IP) certNames {
	var n certNames
	if h, err := os.Hostname(); err == nil && h != "" {
		n.need = append(n.need, h)
	}
	if host != "" && net.ParseIP(strings.Trim(host, "[]")) == nil {
		n.need = append(n.need, host)
	}
	if ip != nil && !ip.IsUnspecified() {
		n.need = append(n.need, ip.String())
		return n
	}
	n.more = append(n.more, "localhost", "127.0.0.1", "::1")
	addrs, _ := net.InterfaceAddrs() // none found: the host name still serves
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		// A link-local address cannot name a host in a URL (it needs its zone).
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		n.more = append(n.more, ipn.IP.String())
	}
	return n
}

func selfSigned(dir string, names certNames, now time.Time) (*Cert, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	c, err := LoadCert(certPath, keyPath)
	switch {
	case err == nil && c.fits(names.need, now):
		return c, nil
	case errors.Is(err, secretfile.ErrExposed):
		return nil, err
	}
	// None kept, or one that expires soon, names another address, or is
	// damaged or mismatched: a new one replaces it.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("certificate directory: %w", err)
	}
	certPEM, keyPEM, err := makeCert(append(names.need, names.more...), now)
	if err != nil {
		return nil, err
	}
	// The key first: a crash between the two leaves a pair that does not
	// match, which the next start replaces.
	if err := secretfile.Write(keyPath, keyPEM); err != nil {
		return nil, fmt.Errorf("write the certificate's key: %w", err)
	}
	if err := secretfile.Write(certPath, certPEM); err != nil {
		return nil, fmt.Errorf("write the certificate: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return newCert(pair, true)
}

// fits reports whether c is valid for another renewBefore and names all of
// need.
func (c *Cert) fits(need []string, now time.Time) bool {
	leaf := c.TLS.Leaf
	if now.Before(leaf.NotBefore) || now.Add(renewBefore).After(leaf.NotAfter) {
		return false
	}
	for _, n := range need {
		if leaf.VerifyHostname(n) != nil {
			return false
		}
	}
	return true
}

// makeCert returns a new self-signed server certificate for names and its
// key, both PEM.
func makeCert(names []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "automl dashboard", Organization: []string{"automl"}},
		NotBefore:    now.Add(-time.Hour), // a client whose clock is a little behind still accepts it
		NotAfter:     now.Add(certLife),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// A leaf, not a CA: Firefox refuses a CA certificate as a server's.
		// Self-signed, a client that trusts it verifies it without a CA.
		BasicConstraintsValid: true,
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("make a certificate: %w", err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), nil
}

func newCert(c tls.Certificate, created bool) (*Cert, error) {
	if c.Leaf == nil {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			return nil, err
		}
		c.Leaf = leaf
	}
	return &Cert{TLS: c, Fingerprint: Fingerprint(c.Certificate[0]), NotAfter: c.Leaf.NotAfter, Created: created}, nil
}

// Fingerprint returns the SHA-256 of a DER certificate as browsers show
// it: AB:CD:...
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}
