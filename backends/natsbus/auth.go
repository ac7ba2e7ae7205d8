package natsbus

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"automl/internal/secretfile"
)

// Credentials say how a client proves who it is to NATS and checks the
// server: user and password, a token, an NKey seed file, a credentials
// (JWT) file, and TLS (a client certificate and key, a CA to verify the
// server with). Empty fields are unused.
type Credentials struct {
	User, Password string
	Token          string
	NKeyFile       string
	CredsFile      string
	TLSCert        string
	TLSKey         string
	TLSCA          string
	// InboxPrefix replaces _INBOX for this client's replies, so a server
	// can let it subscribe to its own inboxes only (examples/fleet).
	InboxPrefix string
}

// ErrCredentials is returned for credentials that cannot be used as given.
var ErrCredentials = errors.New("bad nats credentials")

// Options turns the credentials into client options. Like ssh, it refuses
// an NKey seed, credentials file or TLS key that users other than its
// owner may open (secretfile.Check), wrapped in ErrCredentials.
func (c Credentials) Options() ([]nats.Option, error) {
	var opts []nats.Option
	n := 0
	if c.User != "" || c.Password != "" {
		if c.User == "" || c.Password == "" {
			return nil, fmt.Errorf("%w: give both a user and a password", ErrCredentials)
		}
		opts = append(opts, nats.UserInfo(c.User, c.Password))
		n++
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
		n++
	}
	if c.NKeyFile != "" {
		if err := secretfile.Check("nkey seed", c.NKeyFile); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
		}
		o, err := nats.NkeyOptionFromSeed(c.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: nkey seed %s: %w", ErrCredentials, c.NKeyFile, err)
		}
		opts = append(opts, o)
		n++
	}
	if c.CredsFile != "" {
		if err := secretfile.Check("credentials file", c.CredsFile); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
		}
		opts = append(opts, nats.UserCredentials(c.CredsFile))
		n++
	}
	if n > 1 {
		return nil, fmt.Errorf("%w: give one of user/password, token, nkey or creds", ErrCredentials)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, fmt.Errorf("%w: a TLS client certificate needs its key (and the key its certificate)", ErrCredentials)
	}
	if c.TLSCert != "" {
		if err := secretfile.Check("TLS private key", c.TLSKey); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
		}
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(c.InboxPrefix))
	}
	return opts, nil
}

// Empty reports whether no authentication is configured.
func (c Credentials) Empty() bool {
	return c.User == "" && c.Password == "" && c.Token == "" && c.NKeyFile == "" && c.CredsFile == ""
}

// WithAuth makes an embedded server require the credentials' user and
// password, token or NKey (the public key of the seed file) from every
// client, and serve TLS with the credentials' certificate and key
// (verifying client certificates against TLSCA when set). Clients of the
// same process (Embedded.Connect) are given the credentials. A credentials
// (JWT) file needs a server in operator mode: run nats-server and use --nats.
// A seed or key file others may open is refused, as Options refuses it.
func WithAuth(c Credentials) EmbeddedOption {
	return func(cfg *embeddedConfig) error {
		if c.CredsFile != "" {
			return fmt.Errorf("%w: a credentials (JWT) file needs a nats-server in operator mode; run one and pass --nats", ErrCredentials)
		}
		if _, err := c.Options(); err != nil {
			return err
		}
		cfg.auth = c
		return nil
	}
}

// applyAuth sets the server options for cfg.auth.
func (cfg *embeddedConfig) applyAuth(o *server.Options) error {
	c := cfg.auth
	switch {
	case c.User != "":
		o.Username, o.Password = c.User, c.Password
	case c.Token != "":
		o.Authorization = c.Token
	case c.NKeyFile != "":
		pub, err := nkeyPublic(c.NKeyFile)
		if err != nil {
			return err
		}
		o.Nkeys = []*server.NkeyUser{{Nkey: pub}}
	}
	if c.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: c.TLSCert, KeyFile: c.TLSKey, CaFile: c.TLSCA, Verify: c.TLSCA != ""})
		if err != nil {
			return fmt.Errorf("%w: server TLS: %w", ErrCredentials, err)
		}
		o.TLSConfig, o.TLS, o.TLSVerify = tc, true, c.TLSCA != ""
	}
	return nil
}

// nkeyPublic reads an NKey seed file and returns its public key.
func nkeyPublic(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: nkey seed: %w", ErrCredentials, err)
	}
	var seed []byte
	for _, line := range strings.Split(string(b), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "SU") {
			seed = []byte(l)
			break
		}
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return "", fmt.Errorf("%w: nkey seed %s: %w", ErrCredentials, path, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return "", fmt.Errorf("%w: nkey seed %s: %w", ErrCredentials, path, err)
	}
	return pub, nil
}
