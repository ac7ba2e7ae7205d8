package worker

import "context"

// Plan is a machine's slots as --gpus, --gpus-per-trial and --slots (or
// automl search's --workers) lay them out; Found is what nvidia-smi listed.
type Plan struct {
	Slots int
	GPUs  [][]string // each slot's GPUs (nil: CPU slots that see every GPU)
	Note  string     // what was decided, for the log
	Found []GPU
}

// PlanSlots finds the machine's GPUs (unless want is "none") and lays out
// its slots with Layout: the one path automl worker and automl search's
// own slots take, so a trial gets its GPUs the same way in either.
func PlanSlots(ctx context.Context, want string, perTrial, slots, cpus int) (Plan, error) {
	var found []GPU
	var findErr error
	if want != "none" && want != "" {
		found, findErr = DiscoverGPUs(ctx)
	}
	n, layout, note, err := Layout(want, perTrial, slots, cpus, found, findErr)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Slots: n, GPUs: layout, Note: note, Found: found}, nil
}
