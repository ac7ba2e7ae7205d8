package main

import (
	"errors"
	"log/slog"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"automl/backends/natsbus"
)

// natsFlags are the flags of a command that connects to NATS: the server
// URL and the credentials. Each flag falls back to an AUTOML_NATS_*
// environment variable, so secrets need not appear on command lines (which
// other users of the machine can read in the process list).
type natsFlags struct {
	url   string
	creds natsbus.Credentials
}

// natsEnv maps each flag to its environment variable.
var natsEnv = []struct{ flag, env string }{
	{"nats", "AUTOML_NATS_URL"},
	{"user", "AUTOML_NATS_USER"},
	{"password", "AUTOML_NATS_PASSWORD"},
	{"token", "AUTOML_NATS_TOKEN"},
	{"nkey", "AUTOML_NATS_NKEY"},
	{"creds", "AUTOML_NATS_CREDS"},
	{"tls-cert", "AUTOML_NATS_TLS_CERT"},
	{"tls-key", "AUTOML_NATS_TLS_KEY"},
	{"tls-ca", "AUTOML_NATS_TLS_CA"},
}

// natsEnvHelp is the help text's list of the environment variables.
const natsEnvHelp = `NATS connection (each flag can come from the environment instead:
AUTOML_NATS_URL, AUTOML_NATS_USER, AUTOML_NATS_PASSWORD, AUTOML_NATS_TOKEN,
AUTOML_NATS_NKEY, AUTOML_NATS_CREDS, AUTOML_NATS_TLS_CERT, AUTOML_NATS_TLS_KEY,
AUTOML_NATS_TLS_CA; a flag wins over its variable).`

func addNATSFlags(cmd *cobra.Command, f *natsFlags, urlHelp string) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "nats", "", urlHelp)
	fl.StringVar(&f.creds.User, "user", "", "NATS user (with --password)")
	fl.StringVar(&f.creds.Password, "password", "", "NATS password (prefer AUTOML_NATS_PASSWORD: flags show in ps)")
	fl.StringVar(&f.creds.Token, "token", "", "NATS token (prefer AUTOML_NATS_TOKEN)")
	fl.StringVar(&f.creds.NKeyFile, "nkey", "", "NATS NKey seed file")
	fl.StringVar(&f.creds.CredsFile, "creds", "", "NATS credentials (JWT) file")
	fl.StringVar(&f.creds.TLSCert, "tls-cert", "", "TLS client certificate (PEM)")
	fl.StringVar(&f.creds.TLSKey, "tls-key", "", "TLS client key (PEM)")
	fl.StringVar(&f.creds.TLSCA, "tls-ca", "", "CA certificate(s) to verify the NATS server with (PEM)")
}

// resolve fills the flags the user did not give from the environment.
func (f *natsFlags) resolve(cmd *cobra.Command) {
	targets := map[string]*string{
		"nats": &f.url, "user": &f.creds.User, "password": &f.creds.Password, "token": &f.creds.Token,
		"nkey": &f.creds.NKeyFile, "creds": &f.creds.CredsFile, "tls-cert": &f.creds.TLSCert,
		"tls-key": &f.creds.TLSKey, "tls-ca": &f.creds.TLSCA,
	}
	for _, e := range natsEnv {
		if cmd.Flags().Changed(e.flag) {
			continue
		}
		if v, ok := os.LookupEnv(e.env); ok {
			*targets[e.flag] = v
		}
	}
}

// options checks the credentials and turns them into client options.
func (f *natsFlags) options() ([]nats.Option, error) {
	opts, err := f.creds.Options()
	if err != nil {
		return nil, usageError{err}
	}
	return opts, nil
}

// connect dials f.url (reconnecting forever once connected); refused
// credentials and a server that is not there are usage errors.
func (f *natsFlags) connect(name string, log *slog.Logger) (*nats.Conn, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	nc, err := natsbus.Connect(f.url, name, log, opts...)
	if errors.Is(err, natsbus.ErrRefused) || errors.Is(err, natsbus.ErrUnreachable) {
		return nil, usageError{err}
	}
	return nc, err
}
