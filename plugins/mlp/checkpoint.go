package mlp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"automl/plugins/mlp/kernels"
	"automl/plugins/mlp/nn"
)

// CheckpointFile is the checkpoint's name inside spec.CheckpointDir.
const CheckpointFile = "mlp.ckpt"

// Checkpoint format: the magic line, a little-endian uint32 version, the
// gob-encoded body, and the SHA-256 of the body (a torn or corrupted file
// is refused rather than resumed).
const (
	ckptMagic   = "automl-mlp-checkpoint\n"
	ckptVersion = 1
)

// ErrCheckpoint is a checkpoint that cannot be resumed: missing, corrupt,
// of another version, or made for other data or hyperparameters.
var ErrCheckpoint = errors.New("bad checkpoint")

// ckpt is everything needed to continue training bit for bit.
type ckpt struct {
	Epoch     int
	Stopped   bool
	TrainLoss float64
	DataID    string
	ModelID   string
	Kernel    string // micro-kernel at save time; resuming on another is allowed but not bit-identical
	Early     early
	Folds     []foldCkpt
}

type foldCkpt struct {
	State [][]float32 // parameters then buffers
	Best  [][]float32
	OptT  int64
	OptM  [][]float32
	OptV  [][]float32
	Rng   []byte // PCG state
}

func (t *trainer) checkpoint(dataID, modelID string) (*ckpt, error) {
	c := &ckpt{Epoch: t.epoch, Stopped: t.stopped, TrainLoss: t.trainLoss, DataID: dataID, ModelID: modelID, Kernel: kernels.Kernel(), Early: t.early}
	for _, f := range t.folds {
		rng, err := f.pcg.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("save rng: %w", err)
		}
		c.Folds = append(c.Folds, foldCkpt{State: f.snapshot(), Best: f.best, OptT: f.opt.T, OptM: f.opt.M, OptV: f.opt.V, Rng: rng})
	}
	return c, nil
}

func (t *trainer) resume(c *ckpt, dataID, modelID string) error {
	switch {
	case c.DataID != dataID:
		return fmt.Errorf("%w: it was made on other data (file content, target, split or preprocessing changed)", ErrCheckpoint)
	case c.ModelID != modelID:
		return fmt.Errorf("%w: it was made with other hyperparameters or seed", ErrCheckpoint)
	case len(c.Folds) != len(t.folds):
		return fmt.Errorf("%w: it has %d folds, the trial %d", ErrCheckpoint, len(c.Folds), len(t.folds))
	}
	for i, f := range t.folds {
		fc := c.Folds[i]
		if err := checkOptState(f.model.Params(), f.opt.Kind, fc); err != nil {
			return fmt.Errorf("%w: %v", ErrCheckpoint, err)
		}
		if err := f.restore(fc.State); err != nil {
			return fmt.Errorf("%w: %v", ErrCheckpoint, err)
		}
		if err := f.pcg.UnmarshalBinary(fc.Rng); err != nil {
			return fmt.Errorf("%w: rng: %v", ErrCheckpoint, err)
		}
		f.best = fc.Best
		f.opt.T, f.opt.M, f.opt.V = fc.OptT, fc.OptM, fc.OptV
	}
	t.epoch, t.stopped, t.trainLoss, t.early = c.Epoch, c.Stopped, c.TrainLoss, c.Early
	return nil
}

// checkOptState checks the optimiser moments fit the model and the rule:
// after a step, each moment the rule keeps has one full tensor per
// parameter (a mismatch would otherwise surface as a panic mid-epoch).
func checkOptState(params []*nn.Param, kind nn.OptimizerKind, fc foldCkpt) error {
	if fc.OptT == 0 {
		return nil
	}
	needM := kind == nn.Momentum || kind == nn.Nesterov || kind == nn.Adam || kind == nn.AdamW
	needV := kind == nn.Adam || kind == nn.AdamW || kind == nn.RMSprop
	for _, st := range []struct {
		name string
		t    [][]float32
		need bool
	}{{"first moment", fc.OptM, needM}, {"second moment", fc.OptV, needV}} {
		if !st.need {
			continue
		}
		if len(st.t) != len(params) {
			return fmt.Errorf("optimiser %s for %d tensors, the model has %d", st.name, len(st.t), len(params))
		}
		for i, p := range params {
			if len(st.t[i]) != len(p.W) {
				return fmt.Errorf("optimiser %s %d has %d values, the parameter %d", st.name, i, len(st.t[i]), len(p.W))
			}
		}
	}
	return nil
}

// writeCheckpoint saves atomically: a temporary file renamed into place.
func writeCheckpoint(dir string, c *ckpt) error {
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(c); err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(ckptMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(ckptVersion))
	buf.Write(body.Bytes())
	sum := sha256.Sum256(body.Bytes())
	buf.Write(sum[:])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, CheckpointFile+".tmp*")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, CheckpointFile)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

func readCheckpoint(dir string) (*ckpt, error) {
	path := filepath.Join(dir, CheckpointFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if !bytes.HasPrefix(b, []byte(ckptMagic)) || len(b) < len(ckptMagic)+4+sha256.Size {
		return nil, fmt.Errorf("%w: %s is not an mlp checkpoint", ErrCheckpoint, path)
	}
	b = b[len(ckptMagic):]
	if v := binary.LittleEndian.Uint32(b); v != ckptVersion {
		return nil, fmt.Errorf("%w: %s has version %d; this trainer reads version %d", ErrCheckpoint, path, v, ckptVersion)
	}
	body, sum := b[4:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return nil, fmt.Errorf("%w: %s is corrupt (checksum mismatch)", ErrCheckpoint, path)
	}
	var c ckpt
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: decode %s: %v", ErrCheckpoint, path, err)
	}
	return &c, nil
}
