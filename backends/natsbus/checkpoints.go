package natsbus

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"automl/internal/probe"
)

// ErrNoCheckpoint is returned when a job names a checkpoint the object
// store does not hold: the trial cannot resume.
var ErrNoCheckpoint = errors.New("checkpoint not found")

// maxCheckpointFile bounds one file unpacked from a checkpoint, so a
// corrupt archive cannot fill a worker's disk.
const maxCheckpointFile = 64 << 30

// checkpoints moves trial checkpoints between a local directory and the
// JetStream object store, one object per checkpoint: a tar of the
// directory's regular files. Safe for concurrent use.
type checkpoints struct {
	js jetstream.JetStream

	mu  sync.Mutex
	obs jetstream.ObjectStore
}

// store binds the bucket (EnsureStreams, run by the scheduler, makes it).
func (c *checkpoints) store(ctx context.Context) (jetstream.ObjectStore, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.obs != nil {
		return c.obs, nil
	}
	obs, err := c.js.ObjectStore(ctx, CheckpointBucket)
	if err != nil {
		return nil, fmt.Errorf("checkpoint store %s: %w", CheckpointBucket, err)
	}
	c.obs = obs
	return obs, nil
}

// A checkpoint is named in results and jobs by a reference,
// <name>#<digest>: the object's name and the SHA-256 digest the worker that
// saved it got back. The reference travels in the saver's result (bound to
// its job's lease) and in the next job (signed), so a worker that resumes
// the trial takes the checkpoint only if it is the one saved: an object
// replaced by anyone else (any worker may write the bucket) is refused.
// A reference without a digest is an older worker's, taken as it is.

// ErrCheckpointReplaced is returned for a checkpoint whose object is not
// the one its reference names.
var ErrCheckpointReplaced = errors.New("checkpoint replaced since it was saved")

func checkpointRef(name, digest string) string { return name + "#" + digest }

func splitRef(ref string) (name, digest string) {
	name, digest, _ = strings.Cut(ref, "#")
	return name, digest
}

// upload stores dir's regular files (recursively) as the object name and
// returns its reference.
func (c *checkpoints) upload(ctx context.Context, name, dir string) (string, error) {
	obs, err := c.store(ctx)
	if err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(packDir(pw, dir)) }()
	info, err := obs.Put(ctx, jetstream.ObjectMeta{Name: name, Description: "automl checkpoint (tar)"}, pr)
	pr.CloseWithError(err) // unblocks packDir if Put gave up early
	if err != nil {
		return "", fmt.Errorf("upload checkpoint %s: %w", name, err)
	}
	probe.Get().Checkpoint("saved", int64(info.Size))
	return checkpointRef(name, info.Digest), nil
}

// download unpacks the checkpoint ref names into dir (which exists). The
// object store checks the content against the object's digest as it
// reads; this checks that digest against the reference's.
func (c *checkpoints) download(ctx context.Context, ref, dir string) error {
	name, digest := splitRef(ref)
	obs, err := c.store(ctx)
	if err != nil {
		return err
	}
	r, err := obs.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("%w: %s in object store %s", ErrNoCheckpoint, name, CheckpointBucket)
	}
	if err != nil {
		return fmt.Errorf("download checkpoint %s: %w", name, err)
	}
	defer r.Close()
	if digest != "" {
		info, err := r.Info()
		if err != nil {
			return fmt.Errorf("download checkpoint %s: %w", name, err)
		}
		if info.Digest != digest {
			return fmt.Errorf("%w: %s holds %s, its reference names %s", ErrCheckpointReplaced, name, info.Digest, digest)
		}
	}
	if err := unpackDir(r, dir); err != nil {
		return fmt.Errorf("download checkpoint %s: %w", name, err)
	}
	if info, err := r.Info(); err == nil {
		probe.Get().Checkpoint("loaded", int64(info.Size))
	}
	return nil
}

// deleteTrials deletes every checkpoint of the given trials.
func (c *checkpoints) deleteTrials(ctx context.Context, study, inc string, ids []int) error {
	obs, err := c.store(ctx)
	if err != nil {
		return err
	}
	infos, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list checkpoints: %w", err)
	}
	var errs []error
	for _, info := range infos {
		for _, id := range ids {
			if strings.HasPrefix(info.Name, checkpointPrefix(study, inc, id)) {
				if err := obs.Delete(ctx, info.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
					errs = append(errs, fmt.Errorf("delete checkpoint %s: %w", info.Name, err))
				}
				break
			}
		}
	}
	return errors.Join(errs...)
}

// packDir writes dir's directories and regular files as a tar stream;
// anything else (a symlink, a socket) is refused rather than followed.
func packDir(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return fmt.Errorf("checkpoint %s: %s is not a regular file", dir, rel)
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		f.Close()
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// unpackDir extracts a tar stream into dir through os.Root, so no entry
// can land outside it (no "..", no absolute path, no symlink).
func unpackDir(r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q escapes the checkpoint directory", hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if hdr.Size > maxCheckpointFile {
				return fmt.Errorf("entry %q is %d bytes, over the %d limit", hdr.Name, hdr.Size, int64(maxCheckpointFile))
			}
			if d := filepath.Dir(name); d != "." {
				if err := root.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
			f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, io.LimitReader(tr, hdr.Size))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q is not a file or directory", hdr.Name)
		}
	}
}
