package fleet

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// JobKey signs a scheduler's jobs and makes their lease tokens. Workers
// check the signature against the keys they trust before anything runs;
// a job's lease token (inside the signed job) comes back in every event of
// that job, which the scheduler checks, so only a worker that was handed
// the job can report on it.
type JobKey struct {
	priv ed25519.PrivateKey
	mac  []byte // the lease tokens' HMAC key, derived from the seed
}

// NewJobKey makes a key from a 32-byte seed.
func NewJobKey(seed []byte) (JobKey, error) {
	if len(seed) != ed25519.SeedSize {
		return JobKey{}, fmt.Errorf("job key seed: %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	mac := sha256.Sum256(append([]byte("automl lease v1\x00"), seed...))
	return JobKey{priv: ed25519.NewKeyFromSeed(seed), mac: mac[:]}, nil
}

// Valid reports whether the key was made (the zero JobKey is not).
func (k JobKey) Valid() bool { return k.priv != nil }

// Public is the key workers trust.
func (k JobKey) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// Sign signs a job: its subject, its message id and its payload.
func (k JobKey) Sign(subject, id string, data []byte) string {
	return base64.RawStdEncoding.EncodeToString(ed25519.Sign(k.priv, signed(subject, id, data)))
}

// Lease is the lease token of the job with message id id.
func (k JobKey) Lease(id string) string {
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// CheckLease reports whether lease is the token of job id (in constant time).
func (k JobKey) CheckLease(id, lease string) bool {
	return hmac.Equal([]byte(k.Lease(id)), []byte(lease))
}

func signed(subject, id string, data []byte) []byte {
	msg := make([]byte, 0, len(subject)+len(id)+len(data)+16)
	msg = append(msg, "automl job v1\n"...)
	msg = append(msg, subject...)
	msg = append(msg, '\n')
	msg = append(msg, id...)
	msg = append(msg, '\n')
	return append(msg, data...)
}

// Why a job's signature does not hold.
var (
	ErrUnsigned  = errors.New("the job is not signed")
	ErrUntrusted = errors.New("the job is signed by a key this worker does not trust")
	ErrAltered   = errors.New("the job's signature does not match its content (altered or forged)")
)

// Trust is the set of job keys a worker accepts.
type Trust []ed25519.PublicKey

// Verify checks a job's signature, made by signer (a FormatKey string).
func (t Trust) Verify(signer, sig, subject, id string, data []byte) error {
	if signer == "" || sig == "" {
		return ErrUnsigned
	}
	pub, err := ParseKey(signer)
	if err != nil {
		return fmt.Errorf("%w: signer: %w", ErrAltered, err)
	}
	trusted := false
	for _, k := range t {
		if k.Equal(pub) {
			trusted = true
			break
		}
	}
	if !trusted {
		return fmt.Errorf("%w (%s)", ErrUntrusted, signer)
	}
	raw, err := base64.RawStdEncoding.DecodeString(sig)
	if err != nil || !ed25519.Verify(pub, signed(subject, id, data), raw) {
		return ErrAltered
	}
	return nil
}

// keyPrefix marks a job key's text form.
const keyPrefix = "jobkey-"

// FormatKey is a job key as text: what `automl worker --trust` takes.
func FormatKey(pub ed25519.PublicKey) string {
	return keyPrefix + base64.RawURLEncoding.EncodeToString(pub)
}

// ParseKey reads FormatKey's text.
func ParseKey(s string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), keyPrefix)
	if !ok {
		return nil, fmt.Errorf("job key %q: want %s followed by 43 characters (automl search prints it)", clip(s), keyPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("job key %q: not a valid key (copy it whole from automl search's output)", clip(s))
	}
	return ed25519.PublicKey(raw), nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
