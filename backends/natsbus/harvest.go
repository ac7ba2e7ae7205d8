package natsbus

import (
	"archive/tar"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"automl/internal/modelfiles"
	"automl/trial"
)

// A trial's model outlives its checkpoints: before the scheduler's cleanup
// deletes a final trial's checkpoints, the dispatcher copies the model
// artifact and its holdout predictions (modelfiles.ModelFile and
// HoldoutFile, which the trainer left in its checkpoint directory) out of
// the checkpoint the trial's result named into DispatcherOptions.ModelDir.
// The files are opaque bytes here. A checkpoint without them (a trainer
// that writes none) gives nothing.
//
// Which checkpoint: any worker may write the bucket, so a name says
// nothing of who wrote the object. The dispatcher remembers, per trial, the
// reference (<name>#<digest>) that the newest authentic Exited event it
// handed to the scheduler carried (refs), the one the scheduler records and
// resumes from, and the harvest takes exactly that object, refused when
// its digest is not the reference's or its name is not the trial's (a
// security event). There is no fallback to another object: a final trial
// whose reference this dispatcher never saw (it ended before the
// scheduler restarted) keeps no model.

// DeleteCheckpoints deletes every stored checkpoint of the given trials
// (scheduler.CheckpointCleaner): the scheduler calls it once they are final.
func (d *Dispatcher) DeleteCheckpoints(ctx context.Context, study string, ids []int) error {
	if study != d.study || d.claim == nil {
		return fmt.Errorf("delete checkpoints of %s: the dispatcher has not claimed that study", study)
	}
	models := d.harvest(ctx, ids, d.refs.take(ids))
	err := d.ckpt.deleteTrials(ctx, study, d.inc, ids)
	if len(models) > 0 && d.o.Harvested != nil {
		d.o.Harvested(ctx, models)
	}
	return err
}

// ckptRef is the checkpoint reference of a trial's newest forwarded
// result, and the attempt and delivery that sent it.
type ckptRef struct {
	ref               string
	attempt, delivery int
}

// trialRefs holds the checkpoint references of the study's trials that
// are not harvested yet (a trial's entry goes with DeleteCheckpoints).
// Safe for concurrent use; the zero value is ready.
type trialRefs struct {
	mu sync.Mutex
	m  map[int]ckptRef
}

// note remembers the checkpoint an authentic event names, if it is an
// Exited event with one. Like the scheduler's ledger, it keeps the newest
// attempt's, and of one attempt the newest delivery's (the first one that
// came of a delivery): a late result of an older run does not displace it,
// and an exit without a checkpoint (a crash) leaves the previous one.
func (t *trialRefs) note(ev *trial.Event) {
	if ev.Kind != trial.Exited || ev.Result == nil || ev.Result.Checkpoint == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.m[ev.Key.ID]; ok && cmp.Or(cmp.Compare(ev.Key.Attempt, old.attempt), cmp.Compare(ev.Delivery, old.delivery)) <= 0 {
		return
	}
	if t.m == nil {
		t.m = map[int]ckptRef{}
	}
	t.m[ev.Key.ID] = ckptRef{ref: ev.Result.Checkpoint, attempt: ev.Key.Attempt, delivery: ev.Delivery}
}

// take returns the references of ids it holds, and forgets them.
func (t *trialRefs) take(ids []int) map[int]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	refs := map[int]string{}
	for _, id := range ids {
		if r, ok := t.m[id]; ok {
			refs[id] = r.ref
			delete(t.m, id)
		}
	}
	return refs
}

// noteCheckpoint remembers the checkpoint of an authentic event about to
// be handed to the scheduler (before, so a cleanup the event causes finds
// it), when models are kept.
func (d *Dispatcher) noteCheckpoint(ev *trial.Event) {
	if d.o.ModelDir != "" {
		d.refs.note(ev)
	}
}

// harvestPatience bounds a harvest, which goes on when the caller's
// context ends.
const harvestPatience = time.Minute

// Why a harvest takes no model from a checkpoint reference it was given.
var (
	errForeignCheckpoint = errors.New("checkpoint reference names an object of another trial")
	errNoDigest          = errors.New("checkpoint reference carries no digest to check the object by (a trainer that saved no files, or an older worker)")
)

// harvest copies the models of final trials out of the checkpoints refs
// names (DispatcherOptions.ModelDir) and returns the trials whose model it
// copied. A failure is logged with its trial, and the checkpoints are
// deleted all the same: nothing would delete them later.
func (d *Dispatcher) harvest(ctx context.Context, ids []int, refs map[int]string) []int {
	if d.o.ModelDir == "" {
		return nil
	}
	for _, id := range ids {
		if _, ok := refs[id]; !ok {
			d.log.Warn("no model kept: the dispatcher saw no checkpoint reference of the trial (it ended before the scheduler restarted)", "trial", id)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	// A model is worth the wait of a study that is being stopped: the
	// checkpoints go right after, and with them the model.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), harvestPatience)
	defer cancel()
	got, err := d.ckpt.harvest(ctx, d.study, d.inc, ids, refs, d.o.ModelDir)
	if err != nil {
		d.log.Warn("models of finished trials not kept", "trials", ids, "err", err)
		return nil
	}
	var models []int
	for _, h := range got {
		switch {
		case errors.Is(h.Err, ErrCheckpointReplaced), errors.Is(h.Err, errForeignCheckpoint):
			security(d.log, "checkpoint refused, no model kept", "trial", h.ID, "why", h.Err)
		case errors.Is(h.Err, errNoDigest):
			d.log.Info("no model kept", "trial", h.ID, "why", h.Err)
		case h.Err != nil:
			d.log.Warn("model of a finished trial not kept", "trial", h.ID, "err", h.Err)
		case h.Model:
			models = append(models, h.ID)
		}
	}
	if len(models) > 0 {
		d.log.Debug("models kept", "trials", models, "dir", d.o.ModelDir)
	}
	return models
}

// harvested says what a harvest of one trial gave.
type harvested struct {
	ID    int
	Model bool // the model file was copied
	Err   error
}

// harvest copies each trial's model and holdout files out of the
// checkpoint its reference in refs names into dir (see modelfiles), one
// result per trial of ids that has a reference. The object must be the
// trial's and hold the reference's digest.
func (c *checkpoints) harvest(ctx context.Context, study, inc string, ids []int, refs map[int]string, dir string) ([]harvested, error) {
	obs, err := c.store(ctx)
	if err != nil {
		return nil, err
	}
	var out []harvested
	for _, id := range ids {
		ref, ok := refs[id]
		if !ok {
			continue
		}
		name, digest := splitRef(ref)
		var got bool
		switch {
		case digest == "":
			err = fmt.Errorf("%w: %q", errNoDigest, ref)
		case !strings.HasPrefix(name, checkpointPrefix(study, inc, id)):
			err = fmt.Errorf("%w: %s", errForeignCheckpoint, name)
		default:
			got, err = c.harvestOne(ctx, obs, name, digest, study, id, dir)
		}
		out = append(out, harvested{ID: id, Model: got, Err: err})
	}
	return out, nil
}

// harvestOne unpacks the two files of one checkpoint, if the object holds
// digest, into dir, each put in place once the whole object has been read
// and its content checked against the digest;
// model reports whether the model file was among them.
func (c *checkpoints) harvestOne(ctx context.Context, obs jetstream.ObjectStore, name, digest, study string, id int, dir string) (model bool, err error) {
	r, err := obs.Get(ctx, name)
	if err != nil {
		return false, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		return false, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	if info.Digest != digest {
		return false, fmt.Errorf("%w: %s holds %s, its reference names %s", ErrCheckpointReplaced, name, info.Digest, digest)
	}
	targets := map[string]string{
		modelfiles.ModelFile:   modelfiles.Model(dir, study, id),
		modelfiles.HoldoutFile: modelfiles.Holdout(dir, study, id),
	}
	staged := map[string]string{} // final path -> temporary file
	defer func() {
		for _, tmp := range staged {
			_ = os.Remove(tmp)
		}
	}()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, fmt.Errorf("read checkpoint %s: %w", name, err)
		}
		dst, ok := targets[path.Clean(hdr.Name)]
		if !ok || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if hdr.Size > maxCheckpointFile {
			return false, fmt.Errorf("checkpoint %s: %s is %d bytes, over the %d limit", name, hdr.Name, hdr.Size, int64(maxCheckpointFile))
		}
		tmp, err := modelfiles.Stage(dst, io.LimitReader(tr, hdr.Size))
		if err != nil {
			return false, fmt.Errorf("copy %s of checkpoint %s: %w", hdr.Name, name, err)
		}
		staged[dst] = tmp
	}
	// The object store checks the digest once the object is read to its end.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return false, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	for dst, tmp := range staged {
		if err := os.Rename(tmp, dst); err != nil {
			return model, fmt.Errorf("copy checkpoint %s: %w", name, err)
		}
		delete(staged, dst)
		model = model || dst == targets[modelfiles.ModelFile]
	}
	return model, nil
}
