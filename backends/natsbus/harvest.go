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
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"automl/internal/modelfiles"
)

// A trial's model outlives its checkpoints: before the scheduler's cleanup
// deletes a final trial's checkpoints, the dispatcher copies the model
// artifact and its holdout predictions (modelfiles.ModelFile and
// HoldoutFile, which the trainer left in its checkpoint directory) out of
// the trial's newest checkpoint into DispatcherOptions.ModelDir. The
// files are opaque bytes here. A checkpoint without them (a trainer that
// writes none, a trial that never finished a span) gives nothing.

// DeleteCheckpoints deletes every stored checkpoint of the given trials
// (scheduler.CheckpointCleaner): the scheduler calls it once they are final.
func (d *Dispatcher) DeleteCheckpoints(ctx context.Context, study string, ids []int) error {
	if study != d.study || d.claim == nil {
		return fmt.Errorf("delete checkpoints of %s: the dispatcher has not claimed that study", study)
	}
	models := d.harvest(ctx, ids)
	err := d.ckpt.deleteTrials(ctx, study, d.inc, ids)
	if len(models) > 0 && d.o.Harvested != nil {
		d.o.Harvested(ctx, models)
	}
	return err
}

// harvestPatience bounds a harvest, which goes on when the caller's
// context ends.
const harvestPatience = time.Minute

// harvest copies the models of final trials out of their checkpoints
// (DispatcherOptions.ModelDir) and returns the trials whose model it
// copied. A failure is logged with its trial, and the checkpoints are
// deleted all the same: nothing would delete them later.
func (d *Dispatcher) harvest(ctx context.Context, ids []int) []int {
	if d.o.ModelDir == "" {
		return nil
	}
	// A model is worth the wait of a study that is being stopped: the
	// checkpoints go right after, and with them the model.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), harvestPatience)
	defer cancel()
	got, err := d.ckpt.harvest(ctx, d.study, d.inc, ids, d.o.ModelDir)
	if err != nil {
		d.log.Warn("models of finished trials not kept", "trials", ids, "err", err)
		return nil
	}
	var models []int
	for _, h := range got {
		switch {
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

// ckptVersion orders the checkpoints of one trial: by resource reached,
// then attempt, then delivery (see CheckpointKey).
type ckptVersion struct {
	resource          float64
	attempt, delivery int
}

func (a ckptVersion) compare(b ckptVersion) int {
	return cmp.Or(cmp.Compare(a.resource, b.resource), cmp.Compare(a.attempt, b.attempt), cmp.Compare(a.delivery, b.delivery))
}

// parseCkptSuffix reads <resource>/<attempt>.<delivery>, what follows the
// trial's prefix in a checkpoint's name.
func parseCkptSuffix(rest string) (ckptVersion, bool) {
	res, run, ok := strings.Cut(rest, "/")
	if !ok {
		return ckptVersion{}, false
	}
	a, d, ok := strings.Cut(run, ".")
	if !ok {
		return ckptVersion{}, false
	}
	r, err1 := strconv.ParseFloat(res, 64)
	at, err2 := strconv.Atoi(a)
	de, err3 := strconv.Atoi(d)
	if errors.Join(err1, err2, err3) != nil {
		return ckptVersion{}, false
	}
	return ckptVersion{r, at, de}, true
}

// newest maps each of ids to the name of its newest checkpoint among
// infos (trials with none are absent).
func newest(infos []*jetstream.ObjectInfo, study, inc string, ids []int) map[int]string {
	best := map[int]ckptVersion{}
	names := map[int]string{}
	for _, id := range ids {
		prefix := checkpointPrefix(study, inc, id)
		for _, info := range infos {
			rest, ok := strings.CutPrefix(info.Name, prefix)
			if !ok {
				continue
			}
			v, ok := parseCkptSuffix(rest)
			if !ok {
				continue
			}
			if b, seen := best[id]; !seen || v.compare(b) > 0 {
				best[id], names[id] = v, info.Name
			}
		}
	}
	return names
}

// harvested says what a harvest of one trial gave.
type harvested struct {
	ID    int
	Model bool // the model file was copied
	Err   error
}

// harvest copies each trial's model and holdout files out of its newest
// checkpoint into dir (see modelfiles), one result per trial that has a
// checkpoint.
func (c *checkpoints) harvest(ctx context.Context, study, inc string, ids []int, dir string) ([]harvested, error) {
	obs, err := c.store(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	names := newest(infos, study, inc, ids)
	var out []harvested
	for _, id := range ids {
		name, ok := names[id]
		if !ok {
			continue
		}
		got, err := c.harvestOne(ctx, obs, name, study, id, dir)
		out = append(out, harvested{ID: id, Model: got, Err: err})
	}
	return out, nil
}

// harvestOne unpacks the two files of one checkpoint into dir, each put
// in place once the whole object has been read and its digest checked;
// model reports whether the model file was among them.
func (c *checkpoints) harvestOne(ctx context.Context, obs jetstream.ObjectStore, name, study string, id int, dir string) (model bool, err error) {
	r, err := obs.Get(ctx, name)
	if err != nil {
		return false, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	defer r.Close()
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
