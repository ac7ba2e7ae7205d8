package scheduler

import (
	"context"
	"fmt"
	"time"

	"automl/trial"
)

// Inbound is an event with the means to acknowledge it. The scheduler calls
// Ack only after the event's effects are committed to the store, so an
// event is never lost to a scheduler crash (it is delivered again, and
// applying it twice is a no-op).
type Inbound struct {
	Event trial.Event
	Ack   func()
}

// Dispatcher hands jobs to workers and brings their events back.
// Implementations: backends/natsbus (the product: JetStream), backends/local
// (in-process, for tests and library users). Methods are safe for
// concurrent use.
type Dispatcher interface {
	// Dispatch queues jobs durably: when it returns nil, every spec will
	// reach a worker even if this process dies. Delivery is at least once;
	// a spec dispatched twice with the same Key is queued once.
	Dispatch(ctx context.Context, specs []trial.Spec) error
	// Withdraw removes a queued, not yet finished job of the given trial
	// (any attempt), so a recovering scheduler can queue a fresh attempt.
	Withdraw(ctx context.Context, study string, id int) error
	// Stop asks the worker running the attempt to stop it (best effort).
	Stop(ctx context.Context, key trial.Key) error
	// Events delivers worker events, at least once, in no particular order
	// across trials. The channel is closed when the dispatcher is closed.
	Events() <-chan Inbound
}

// CheckpointCleaner is implemented by Dispatchers that keep trial
// checkpoints (backends/natsbus). After a commit that made trials final
// (completed, failed, pruned, stopped), the scheduler asks it to delete
// their checkpoints: nothing will resume them. Best effort: a failure is
// logged, and a checkpoint left behind costs only space.
type CheckpointCleaner interface {
	DeleteCheckpoints(ctx context.Context, study string, ids []int) error
}

// Owner is implemented by Dispatchers on a transport many schedulers share
// (backends/natsbus). Before anything else the scheduler claims its study
// there: one scheduler owns a study name at a time, and a dispatcher only
// ever touches the jobs and events of the incarnation it claimed for. Claim
// fails, naming the owner, while another live scheduler owns the study.
// Should the claim be lost later (another scheduler took over after this
// one stalled past its lease), the dispatcher closes its Events channel
// and says why in Err.
type Owner interface {
	Claim(ctx context.Context, c Claim) error
	Err() error
}

// Claim is what a scheduler claims a study with.
type Claim struct {
	Incarnation string
	// StoreFile and SpaceFile name the claimant to others (in the error a
	// second scheduler gets).
	StoreFile, SpaceFile string
}

// Reconciler is implemented by Dispatchers that can see where a job is
// (backends/natsbus). The scheduler never waits for a job that no longer
// exists: every ReconcileEvery it asks which of its queued and running
// attempts have vanished (no job in the queue or held by a worker, and no
// result waiting), and runs those again as lost. On restart it asks the
// same of the trials a previous run left in flight and re-queues only the
// vanished ones: the others run on, and results already waiting are
// applied as they arrive, never thrown away.
type Reconciler interface {
	Vanished(ctx context.Context, keys []trial.Key) ([]trial.Key, error)
	ReconcileEvery() time.Duration
}

// Undeliverable is a Dispatch error for a job that can never be dispatched
// (over the transport's size limit, say): the scheduler fails its trial
// with the reason instead of trying again. Dispatch returns it (joined
// with other errors when there are several) and still dispatches the
// other jobs.
type Undeliverable struct {
	Key    trial.Key
	Reason string
}

func (e *Undeliverable) Error() string { return fmt.Sprintf("dispatch %v: %s", e.Key, e.Reason) }
