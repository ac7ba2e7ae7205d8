package fleet

import (
	"bytes"
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
	"slices"
	"time"
)

// The fleet's certificate authority signs the server's certificate; a
// token pins the authority (CAPin), so a worker needs no CA file and no
// public name for the server. Nothing else is signed by it.
const (
	caCertFile     = "ca.pem"
	caKeyFile      = "ca.key"
	serverCertFile = "server.pem" // the server's certificate, then the CA's
	serverKeyFile  = "server.key"
	caLife         = 10 * 365 * 24 * time.Hour
	serverLife     = 365 * 24 * time.Hour
	renewBefore    = 30 * 24 * time.Hour
)

// ServerTLS returns the server's certificate chain and key files for a
// server reachable as hosts (names or IP addresses), and the pin of the
// authority that signed it. The authority is made once; the server's
// certificate is made again when it does not cover hosts or expires
// within 30 days.
func (d *Dir) ServerTLS(hosts []string, now time.Time) (certFile, keyFile string, pin []byte, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	unlock, err := d.lock()
	if err != nil {
		return "", "", nil, err
	}
	defer unlock()
	ca, caKey, err := d.authority(now)
	if err != nil {
		return "", "", nil, err
	}
	pinSum := sha256.Sum256(ca.Raw)
	certFile, keyFile = filepath.Join(d.path, serverCertFile), filepath.Join(d.path, serverKeyFile)
	if serverCovers(certFile, keyFile, ca, hosts, now) {
		return certFile, keyFile, pinSum[:], nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "automl fleet server"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverLife),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", nil, fmt.Errorf("fleet: server certificate: %w", err)
	}
	chain := append(pemBlock("CERTIFICATE", der), pemBlock("CERTIFICATE", ca.Raw)...)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	if err := writeFile(keyFile, pemBlock("PRIVATE KEY", keyDER)); err != nil {
		return "", "", nil, err
	}
	if err := writeFile(certFile, chain); err != nil {
		return "", "", nil, err
	}
	return certFile, keyFile, pinSum[:], nil
}

// Pin is the pin of the fleet's authority (nil when it has none yet).
func (d *Dir) Pin() ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(d.path, caCertFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("fleet: %s is damaged", filepath.Join(d.path, caCertFile))
	}
	sum := sha256.Sum256(blk.Bytes)
	return sum[:], nil
}

// authority loads the fleet's CA, making it on first use.
func (d *Dir) authority(now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath, keyPath := filepath.Join(d.path, caCertFile), filepath.Join(d.path, caKeyFile)
	if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber:          serial(),
			Subject:               pkix.Name{CommonName: "automl fleet CA"},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(caLife),
			IsCA:                  true,
			BasicConstraintsValid: true,
			MaxPathLenZero:        true,
			KeyUsage:              x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return nil, nil, fmt.Errorf("fleet: certificate authority: %w", err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		if err := writeFile(keyPath, pemBlock("PRIVATE KEY", keyDER)); err != nil {
			return nil, nil, err
		}
		if err := writeFile(certPath, pemBlock("CERTIFICATE", der)); err != nil {
			return nil, nil, err
		}
	}
	pair, err := d.readPair(certPath, keyPath)
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("fleet: %s: not an ECDSA key", keyPath)
	}
	return pair.Leaf, key, nil
}

func (d *Dir) readPair(certPath, keyPath string) (tls.Certificate, error) {
	for _, p := range []string{certPath, keyPath} {
		if err := checkPrivate(p); err != nil {
			return tls.Certificate{}, err
		}
	}
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("fleet: %s: %w", certPath, err)
	}
	return pair, nil
}

// serverCovers reports whether the stored server certificate was signed
// by ca, names every host, and is good for a while yet.
func serverCovers(certFile, keyFile string, ca *x509.Certificate, hosts []string, now time.Time) bool {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil || pair.Leaf == nil || now.Add(renewBefore).After(pair.Leaf.NotAfter) {
		return false
	}
	if pair.Leaf.CheckSignatureFrom(ca) != nil {
		return false
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(pair.Leaf.IPAddresses, ip.Equal) {
				return false
			}
		} else if h != "" && !slices.Contains(pair.Leaf.DNSNames, h) {
			return false
		}
	}
	return true
}

// ClientTLS is the TLS configuration of a client that trusts exactly the
// authority pin names: the server must present a chain that ends in it
// and whose first certificate it signed. No system roots, and no host
// name check (the authority signs this fleet's server and nothing else).
func ClientTLS(pin []byte) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection: the pin, not the system roots
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("fleet: the server sent no certificate")
			}
			for _, c := range cs.PeerCertificates[1:] {
				sum := sha256.Sum256(c.Raw)
				if !bytes.Equal(sum[:], pin) {
					continue
				}
				roots := x509.NewCertPool()
				roots.AddCert(c)
				_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
				if err != nil {
					return fmt.Errorf("fleet: the server's certificate: %w", err)
				}
				return nil
			}
			return fmt.Errorf("fleet: the server's certificate is not from the authority the token names (another server, or the fleet directory was made again: get a new token)")
		},
	}
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}
