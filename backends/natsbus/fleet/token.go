package fleet

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nkeys"
)

// Token is what `automl worker --join` takes: where the server is, how to
// know it is the right one, which scheduler's jobs to run, and (for a
// server the scheduler set up itself) the credential that lets a new
// worker enroll. One line, copied to every worker machine.
type Token struct {
	// URL is the server's client URL(s), comma-separated.
	URL string
	// CAPin is the SHA-256 of the certificate authority that signed the
	// server's certificate (nil: the server has no TLS of ours).
	CAPin []byte
	// JobKey is the key whose jobs the worker runs.
	JobKey ed25519.PublicKey
	// Join is the join credential, an NKey user seed (empty: the worker
	// brings its own credentials, as for a server the team runs).
	Join string
}

// tokenPrefix starts every token; the version lets the format change.
const tokenPrefix = "automl-join1."

type tokenJSON struct {
	URL  string `json:"u"`
	Pin  string `json:"p,omitempty"`
	Key  string `json:"k"`
	Join string `json:"j,omitempty"`
}

// String is the token's text.
func (t Token) String() string {
	b, _ := json.Marshal(tokenJSON{URL: t.URL, Pin: hex.EncodeToString(t.CAPin), Key: FormatKey(t.JobKey), Join: t.Join})
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ErrToken is returned for text that is not a usable token.
var ErrToken = errors.New("bad join token")

// ParseToken reads a token's text, checking every part.
func ParseToken(s string) (Token, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), tokenPrefix)
	if !ok {
		return Token{}, fmt.Errorf("%w: it does not start with %q (copy the whole `automl worker --join` line automl search printed)", ErrToken, tokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return Token{}, fmt.Errorf("%w: damaged (%v); copy it again", ErrToken, err)
	}
	var j tokenJSON
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Token{}, fmt.Errorf("%w: damaged (%v); copy it again", ErrToken, err)
	}
	t := Token{URL: j.URL, Join: j.Join}
	if t.URL == "" {
		return Token{}, fmt.Errorf("%w: it names no server", ErrToken)
	}
	if j.Pin != "" {
		if t.CAPin, err = hex.DecodeString(j.Pin); err != nil || len(t.CAPin) != 32 {
			return Token{}, fmt.Errorf("%w: the certificate fingerprint is damaged", ErrToken)
		}
	}
	if t.JobKey, err = ParseKey(j.Key); err != nil {
		return Token{}, fmt.Errorf("%w: %w", ErrToken, err)
	}
	if t.Join != "" {
		if kp, err := nkeys.FromSeed([]byte(t.Join)); err != nil {
			return Token{}, fmt.Errorf("%w: the join credential is damaged", ErrToken)
		} else if pub, _ := kp.PublicKey(); !nkeys.IsValidPublicUserKey(pub) {
			return Token{}, fmt.Errorf("%w: the join credential is not a user key", ErrToken)
		}
	}
	return t, nil
}
