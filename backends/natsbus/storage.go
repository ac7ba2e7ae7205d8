package natsbus

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Storage sizes. JetStream reserves every stream's byte limit up front
// against the server's max_file_store, and refuses a stream that does not
// fit (PITFALLS 9): with a byte limit of 1 GiB on each of two streams the
// embedded server, which by default may use 75% of the free space, needed
// about 3 GB free to start. What a study keeps there is far less: on the
// quickstart study (random search, 20,000 trials, 14 s on 2 cores) the jobs
// came to 7.6 MB and the events to 9.2 MB in all, and the store directory
// peaked at 11 MB, since acknowledged events are pruned every few seconds
// and taken jobs deleted. Checkpoints of paused trials (multi-fidelity)
// are what can grow: they get the largest share (splitStorage).
const (
	// DefaultStorage is what the embedded server lets JetStream keep on
	// disk, and what the streams a scheduler creates on another server
	// share, unless set (automl search --nats-storage): about 23 times that
	// 20,000-trial peak. The embedded server takes less when the disk has
	// less than twice this free (storageFor).
	DefaultStorage int64 = 256 << 20
	// MinStorage is the least the embedded server runs with.
	MinStorage int64 = 16 << 20
	// recoverFree is the free space a store directory needs before a
	// stream that failed to write is reopened (storeWatch).
	recoverFree int64 = 4 << 20
)

// freeSpace is the space available to this process on dir's filesystem
// (negative: unknown). A variable, so a test can pretend a small disk.
var freeSpace = diskFree

// budgets is how a storage total is shared among the streams.
type budgets struct {
	trials, events, advisories, checkpoints int64
}

// ownersBytes is the owners bucket's byte limit: one small record per
// study name.
const ownersBytes = 1 << 20

// splitStorage shares total: a sixteenth for queued jobs (40,000 of them
// at the default), a quarter for events not yet pruned, a sixty-fourth
// for max-deliveries advisories, a mebibyte for the owners bucket, and the
// rest for checkpoints. The byte limits add up to total, so JetStream can
// reserve them all, and every stream keeps its share whatever the others
// hold.
func splitStorage(total int64) budgets {
	b := budgets{
		trials:     max(total/16, 2*maxMsgSize),
		events:     max(total/4, 2*maxMsgSize),
		advisories: max(total/64, 256<<10),
	}
	b.checkpoints = max(total-b.trials-b.events-b.advisories-ownersBytes, 2*maxMsgSize)
	return b
}

// storageFor is the JetStream storage limit of an embedded server on dir:
// want when it is set, else DefaultStorage, or half of what the disk
// offers (its free space plus what the store already holds) when that is
// less. The other half stays free for the study file beside it and for
// the store's own slack (deleted messages keep their place in a block
// until the block is compacted).
func storageFor(dir string, want int64) (int64, error) {
	free, err := freeSpace(dir)
	if err != nil {
		return 0, err
	}
	held := storeHeld(dir)
	if want > 0 {
		switch {
		case want < MinStorage:
			return 0, fmt.Errorf("nats store %s: a storage limit of %s is below the minimum, %s", dir, formatBytes(want), formatBytes(MinStorage))
		case free >= 0 && want > free+held:
			return 0, fmt.Errorf("nats store %s: a storage limit of %s is more than its filesystem has free (%s)%s", dir, formatBytes(want), formatBytes(free), heldNote(held))
		}
		return want, nil
	}
	if free < 0 {
		return DefaultStorage, nil
	}
	got := min(DefaultStorage, (free+held)/2)
	if got < MinStorage {
		return 0, fmt.Errorf("nats store %s: %s free on its filesystem%s; the embedded NATS server needs at least %s free (it keeps half of it): free some space, or put the study file elsewhere (--db)", dir, formatBytes(free), heldNote(held), formatBytes(2*MinStorage))
	}
	return got, nil
}

func heldNote(held int64) string {
	if held <= 0 {
		return ""
	}
	return fmt.Sprintf(", and %s in the store already", formatBytes(held))
}

// storeHeld is what the JetStream data under dir takes on disk now.
func storeHeld(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(filepath.Join(dir, "jetstream"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// reserved is what the streams in the store under dir reserve (the sum of
// their byte limits), read from their metadata files. A store written by an
// older automl reserves 2 GiB; a server started with less than that could
// not even shrink its streams (JetStream refuses any stream update while
// its reservations exceed its limit), so the server starts with at least
// this much, and EnsureStreams (StreamOptions.Resize) brings the streams
// down to their shares.
func reserved(dir string) int64 {
	metas, _ := filepath.Glob(filepath.Join(dir, "jetstream", "*", "streams", "*", "meta.inf"))
	var n int64
	for _, m := range metas {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		var cfg struct {
			MaxBytes int64 `json:"max_bytes"`
		}
		if json.Unmarshal(b, &cfg) == nil && cfg.MaxBytes > 0 {
			n += cfg.MaxBytes
		}
	}
	return n
}

// formatBytes writes a size the way people read it: 300 MiB, 1.5 GiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	if v >= 100 || strings.HasSuffix(s, ".0") {
		s = fmt.Sprintf("%.0f", v)
	}
	return s + " " + []string{"KiB", "MiB", "GiB", "TiB", "PiB"}[exp]
}
