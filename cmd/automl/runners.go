package main

import (
	"io"

	"automl/plugins"
	"automl/trial"
)

// slotRunners gives each worker slot its own plugin slot: it keeps the
// slot's trainer process between trials (trainer.reuse), replaces it when
// it crashes, and starts it on the slot's GPUs (CUDA_VISIBLE_DEVICES).
// Every trial runs in a plugin process, never in this one.
type slotRunners struct {
	slots []*plugins.Slot
}

// runnerHost is what every slot's plugins share.
type runnerHost struct {
	stderr    io.Writer
	pluginDir string
}

// newSlotRunners makes n slots; gpus, when set, are each slot's GPUs.
func newSlotRunners(n int, gpus [][]string, h runnerHost) *slotRunners {
	p := &slotRunners{}
	for i := range n {
		o := plugins.HostOptions{Stderr: h.stderr, PluginDir: h.pluginDir}
		if i < len(gpus) {
			o.GPUs = gpus[i]
			// nvidia-smi numbers GPUs in PCI bus order; CUDA, by default,
			// fastest first. This makes CUDA_VISIBLE_DEVICES mean the GPUs
			// the slot was given.
			o.Env = plugins.BaseEnv("CUDA_DEVICE_ORDER=PCI_BUS_ID")
		}
		p.slots = append(p.slots, plugins.NewSlot(o))
	}
	return p
}

// runnerFor is the natsbus.RunnerFor of the worker: slot i runs on plugin slot i.
func (p *slotRunners) runnerFor(slot int, _ trial.Spec) (trial.Runner, error) {
	return p.slots[slot], nil
}

// Close kills every kept plugin process.
func (p *slotRunners) Close() {
	for _, s := range p.slots {
		s.Close()
	}
}
