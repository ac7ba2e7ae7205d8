package fleet

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync"
)

// Jobs are signed in batches: one ed25519 signature over the root of a
// Merkle tree of the batch's jobs, and each job carries the path from its
// leaf to that root (its proof). Signing costs one signature per dispatch
// instead of one per job, and a worker checks each batch's signature once:
// the roots it has verified are remembered, and a job whose path leads to
// one is authentic without another signature check. Leaves and inner
// nodes are hashed apart (a leading 0 or 1), so no path can pass an inner
// node off as a job.

// Job is what a signature covers: a job's subject, message id and payload.
type Job struct {
	Subject, ID string
	Data        []byte
}

// Signed is what a job carries to prove it was signed: the signer's key
// (FormatKey), the signature of its batch's root, and its proof.
type Signed struct {
	Signer, Signature, Proof string
}

const proofStep = 1 + sha256.Size // a side byte and a sibling hash

func leaf(j Job) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write([]byte("automl job v1"))
	var n [4]byte
	for _, part := range [][]byte{[]byte(j.Subject), []byte(j.ID)} {
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	h.Write(j.Data)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func node(left, right [32]byte) [32]byte {
	var buf [1 + 64]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

func rootMessage(root [32]byte) []byte { return append([]byte("automl batch v1\n"), root[:]...) }

// SignBatch signs jobs together: one signature, and a proof per job.
func (k JobKey) SignBatch(jobs []Job) []Signed {
	if len(jobs) == 0 {
		return nil
	}
	level := make([][32]byte, len(jobs))
	for i, j := range jobs {
		level[i] = leaf(j)
	}
	proofs := make([][]byte, len(jobs))
	pos := make([]int, len(jobs)) // each job's node index in the current level
	for i := range pos {
		pos[i] = i
	}
	for len(level) > 1 {
		next := make([][32]byte, 0, (len(level)+1)/2)
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i]) // an odd node goes up as it is
				continue
			}
			next = append(next, node(level[i], level[i+1]))
		}
		for j, p := range pos {
			switch {
			case p%2 == 0 && p+1 < len(level):
				proofs[j] = append(append(proofs[j], 'R'), level[p+1][:]...)
			case p%2 == 1:
				proofs[j] = append(append(proofs[j], 'L'), level[p-1][:]...)
			}
			pos[j] = p / 2
		}
		level = next
	}
	root := level[0]
	k.signed.add(root)
	sig := base64.RawStdEncoding.EncodeToString(ed25519.Sign(k.priv, rootMessage(root)))
	signer := FormatKey(k.Public())
	out := make([]Signed, len(jobs))
	for i := range jobs {
		out[i] = Signed{Signer: signer, Signature: sig, Proof: base64.RawStdEncoding.EncodeToString(proofs[i])}
	}
	return out
}

// rootOf walks a job's proof up to the root it claims.
func rootOf(j Job, proof string) ([32]byte, error) {
	raw, err := base64.RawStdEncoding.DecodeString(proof)
	if err != nil || len(raw)%proofStep != 0 || len(raw) > 64*proofStep {
		return [32]byte{}, fmt.Errorf("%w: its proof is damaged", ErrAltered)
	}
	h := leaf(j)
	for i := 0; i < len(raw); i += proofStep {
		var sib [32]byte
		copy(sib[:], raw[i+1:i+proofStep])
		switch raw[i] {
		case 'L':
			h = node(sib, h)
		case 'R':
			h = node(h, sib)
		default:
			return [32]byte{}, fmt.Errorf("%w: its proof is damaged", ErrAltered)
		}
	}
	return h, nil
}

// rootSet is a bounded set of batch roots: those a verifier checked, or
// those a key signed in this process.
type rootSet struct {
	mu   sync.Mutex
	set  map[[32]byte]struct{}
	keep int
}

func newRootSet(keep int) *rootSet { return &rootSet{set: map[[32]byte]struct{}{}, keep: keep} }

func (s *rootSet) add(r [32]byte) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.set) >= s.keep {
		clear(s.set) // roots of old batches: checking one again is only slower
	}
	s.set[r] = struct{}{}
}

func (s *rootSet) has(r [32]byte) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.set[r]
	return ok
}

// Verifier checks jobs against the keys a worker trusts, remembering the
// batch roots it verified. Safe for concurrent use.
type Verifier struct {
	trust    Trust
	local    *rootSet // roots signed in this process (TrustLocal)
	verified *rootSet
}

// NewVerifier checks jobs against trust.
func NewVerifier(trust Trust) *Verifier {
	return &Verifier{trust: trust, verified: newRootSet(1 << 14)}
}

// TrustLocal lets jobs that k signed in this very process through without
// a signature check (the worker slots of automl search): their root is one
// k remembers signing, so their bytes are the ones it signed.
func (v *Verifier) TrustLocal(k JobKey) { v.local = k.signed }

// Verify checks a job's proof and its batch's signature.
func (v *Verifier) Verify(s Signed, j Job) error {
	if s.Signer == "" || s.Signature == "" {
		return ErrUnsigned
	}
	root, err := rootOf(j, s.Proof)
	if err != nil {
		return err
	}
	if v.local.has(root) || v.verified.has(root) {
		return nil
	}
	if err := v.trust.verifyRoot(s.Signer, s.Signature, root); err != nil {
		return err
	}
	v.verified.add(root)
	return nil
}
