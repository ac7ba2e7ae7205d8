package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"automl/scheduler"
)

// OwnersBucket is the key-value bucket of study owners: one entry per study
// name, the scheduler that runs it, renewed while it runs. Its revision is
// the fencing token: a renewal succeeds only on the revision last written.
const OwnersBucket = "AUTOML_OWNERS"

// DefaultOwnerLease is how long a study stays owned after its scheduler
// last renewed the claim (a dead scheduler's study is free after it).
const DefaultOwnerLease = 30 * time.Second

// owner is who runs a study, as the owners bucket holds it.
type owner struct {
	Incarnation string    `json:"incarnation"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	StoreFile   string    `json:"store_file,omitempty"`
	SpaceFile   string    `json:"space_file,omitempty"`
	Since       time.Time `json:"since"`
}

func (o owner) String() string {
	s := fmt.Sprintf("the scheduler on %s (pid %d", o.Host, o.PID)
	if o.StoreFile != "" {
		s += ", study file " + o.StoreFile
	}
	if o.SpaceFile != "" {
		s += ", space file " + o.SpaceFile
	}
	return s + fmt.Sprintf(", since %s)", o.Since.Local().Format(time.DateTime))
}

// ErrOwned is wrapped by Claim when another scheduler owns the study.
var ErrOwned = errors.New("study is owned by another scheduler")

// claim holds a study's entry in the owners bucket and renews it.
type claim struct {
	kv    jetstream.KeyValue
	study string
	me    owner
	lease time.Duration

	mu   sync.Mutex
	rev  uint64
	lost error // why the claim was lost (nil: held)
}

// takeClaim creates the study's entry, or takes it over when it is this
// machine's and its process is dead (a scheduler killed and restarted
// before its lease ran out). Otherwise the study is owned: the error names
// the owner.
func takeClaim(ctx context.Context, kv jetstream.KeyValue, study string, me owner, lease time.Duration) (*claim, error) {
	data, err := json.Marshal(me)
	if err != nil {
		return nil, err
	}
	c := &claim{kv: kv, study: study, me: me, lease: lease}
	rev, err := kv.Create(ctx, tok(study), data)
	if err == nil {
		c.rev = rev
		return c, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("claim study %s: %w", study, err)
	}
	entry, err := kv.Get(ctx, tok(study))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return takeClaim(ctx, kv, study, me, lease) // it expired just now
	}
	if err != nil {
		return nil, fmt.Errorf("claim study %s: %w", study, err)
	}
	var other owner
	if err := json.Unmarshal(entry.Value(), &other); err != nil {
		return nil, fmt.Errorf("claim study %s: the owner entry does not decode: %w", study, err)
	}
	if other.Host != me.Host || other.PID == me.PID || alive(other.PID) {
		left := lease - time.Since(entry.Created())
		return nil, fmt.Errorf("%w: study %q is run by %s; stop it first, or, if it is dead, its claim lapses %s after its last renewal (in about %s)",
			ErrOwned, study, other, lease, max(left, 0).Round(time.Second))
	}
	if rev, err = kv.Update(ctx, tok(study), data, entry.Revision()); err != nil {
		return nil, fmt.Errorf("claim study %s from a dead scheduler: %w", study, err)
	}
	c.rev = rev
	return c, nil
}

// alive reports whether a process of this machine runs with the pid.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// renew writes the entry again on the revision last written. It fails for
// good (the claim is lost) when another scheduler wrote it since, or when
// the entry lapsed and another took it; a transport error is tried again
// next time, until the lease has run out without a renewal.
func (c *claim) renew(ctx context.Context, lastOK time.Time) error {
	data, _ := json.Marshal(c.me)
	c.mu.Lock()
	rev := c.rev
	c.mu.Unlock()
	next, err := c.kv.Update(ctx, tok(c.study), data, rev)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		next, err = c.kv.Create(ctx, tok(c.study), data) // lapsed; nobody took it
	}
	switch {
	case err == nil:
		c.mu.Lock()
		c.rev = next
		c.mu.Unlock()
		return nil
	case errors.Is(err, jetstream.ErrKeyExists), isWrongSequence(err):
		return c.lose(fmt.Errorf("%w: lost the claim on study %q (another scheduler took it after this one went %s without renewing it)", ErrOwned, c.study, c.lease))
	case time.Since(lastOK) > c.lease:
		return c.lose(fmt.Errorf("%w: cannot renew the claim on study %q for %s: %v", ErrOwned, c.study, time.Since(lastOK).Round(time.Second), err))
	}
	return err
}

func isWrongSequence(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

func (c *claim) lose(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost == nil {
		c.lost = err
	}
	return c.lost
}

// release deletes the entry if it is still this claim's.
func (c *claim) release(ctx context.Context) {
	c.mu.Lock()
	rev, lost := c.rev, c.lost
	c.mu.Unlock()
	if lost == nil {
		_ = c.kv.Delete(ctx, tok(c.study), jetstream.LastRevision(rev))
	}
}

// ownersBucket is the owners bucket, made when missing with the lease as
// its entries' lifetime. The lifetime is the bucket's, shared by every
// study: the lease returned is the one the bucket has.
func ownersBucket(ctx context.Context, js jetstream.JetStream, lease time.Duration, replicas int) (jetstream.KeyValue, time.Duration, error) {
	kv, err := js.KeyValue(ctx, OwnersBucket)
	if err == nil {
		st, err := kv.Status(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("owners bucket: %w", err)
		}
		return kv, st.TTL(), nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, 0, fmt.Errorf("owners bucket: %w", err)
	}
	kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      OwnersBucket,
		Description: "automl: the scheduler that runs each study, renewed while it runs",
		TTL:         lease,
		History:     1,
		MaxBytes:    ownersBytes,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, 0, fmt.Errorf("owners bucket: %w", err)
	}
	return kv, lease, nil
}

// me describes this process as a study's owner.
func me(c scheduler.Claim) owner {
	host, _ := os.Hostname()
	return owner{Incarnation: c.Incarnation, Host: host, PID: os.Getpid(), StoreFile: c.StoreFile, SpaceFile: c.SpaceFile, Since: time.Now().UTC()}
}
