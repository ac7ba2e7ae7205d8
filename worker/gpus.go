package worker

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GPU is one line of nvidia-smi's inventory.
type GPU struct {
	Index, UUID, Name string
	Memory            string
}

// nvidiaSMIArgs ask nvidia-smi for the inventory, one GPU per line.
var nvidiaSMIArgs = []string{"--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader"}

// ErrNoNvidiaSMI is a machine without nvidia-smi on PATH.
var ErrNoNvidiaSMI = errors.New("nvidia-smi not found on PATH")

// DiscoverGPUs lists the machine's GPUs with nvidia-smi.
func DiscoverGPUs(ctx context.Context) ([]GPU, error) {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil, ErrNoNvidiaSMI
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, nvidiaSMIArgs...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return nil, fmt.Errorf("nvidia-smi: %w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("nvidia-smi: %w", err)
	}
	return parseNvidiaSMI(string(out))
}

// parseNvidiaSMI reads "0, GPU-8f3a..., NVIDIA A100-SXM4-80GB, 81920 MiB" lines.
func parseNvidiaSMI(out string) ([]GPU, error) {
	var gpus []GPU
	for n, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("nvidia-smi line %d: want index, uuid, name, memory; got %q", n+1, line)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if _, err := strconv.Atoi(f[0]); err != nil {
			return nil, fmt.Errorf("nvidia-smi line %d: GPU index %q is not a number", n+1, f[0])
		}
		gpus = append(gpus, GPU{Index: f[0], UUID: f[1], Name: f[2], Memory: f[3]})
	}
	return gpus, nil
}

// Layout decides a machine's slots and each slot's GPUs from --gpus
// (all, none, or indices such as 0,1), --gpus-per-trial and --slots. With
// no GPUs (none, or all on a machine without any) the slots are CPU slots
// (nil GPUs): --slots of them, or cpus. A GPU left over when the GPUs do
// not divide by perTrial stays unused. note says what was decided, for the
// log.
func Layout(want string, perTrial, slots, cpus int, found []GPU, findErr error) (n int, layout [][]string, note string, err error) {
	if perTrial < 1 {
		return 0, nil, "", fmt.Errorf("--gpus-per-trial must be >= 1, got %d", perTrial)
	}
	if slots < 0 || slots > MaxSlots {
		return 0, nil, "", fmt.Errorf("--slots must be 0 to %d (0: the default), got %d", MaxSlots, slots)
	}
	cpuSlots := func(why string) (int, [][]string, string, error) {
		n := cmpOr(slots, min(cpus, MaxSlots))
		return n, nil, fmt.Sprintf("%s: %d CPU slots", why, n), nil
	}
	var use []string
	switch want {
	case "none", "":
		// Hide the machine's GPUs from the trainers (an empty
		// CUDA_VISIBLE_DEVICES), not just leave them unassigned.
		n, _, note, _ := cpuSlots("--gpus none")
		layout = make([][]string, n)
		for i := range layout {
			layout[i] = []string{}
		}
		return n, layout, note, nil
	case "all":
		if findErr != nil {
			return cpuSlots(fmt.Sprintf("no GPUs (%v)", findErr))
		}
		if len(found) == 0 {
			return cpuSlots("no GPUs found")
		}
		for _, g := range found {
			use = append(use, g.Index)
		}
	default:
		if findErr != nil {
			return 0, nil, "", fmt.Errorf("--gpus %s: cannot list this machine's GPUs: %w (use --gpus none for CPU slots)", want, findErr)
		}
		have := make([]string, len(found))
		for i, g := range found {
			have[i] = g.Index
		}
		for _, s := range strings.Split(want, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(have, s) {
				return 0, nil, "", fmt.Errorf("--gpus %s: no GPU %q on this machine (it has %s); give indices from nvidia-smi, all, or none", want, s, strings.Join(have, ","))
			}
			if slices.Contains(use, s) {
				return 0, nil, "", fmt.Errorf("--gpus %s: GPU %s given twice", want, s)
			}
			use = append(use, s)
		}
	}
	if perTrial > len(use) {
		return 0, nil, "", fmt.Errorf("--gpus-per-trial %d: only %d GPUs to use", perTrial, len(use))
	}
	n = len(use) / perTrial
	if slots > 0 && slots < n {
		n = slots
	}
	for i := range n {
		layout = append(layout, use[i*perTrial:(i+1)*perTrial])
	}
	note = fmt.Sprintf("%d GPU slots of %d GPU(s) each", n, perTrial)
	if left := len(use) - n*perTrial; left > 0 {
		note += fmt.Sprintf("; %d GPU(s) unused", left)
	}
	return n, layout, note, nil
}

// cmpOr is a, or b when a is not positive.
func cmpOr(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}
