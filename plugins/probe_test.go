package plugins_test

import (
	"sync"
	"testing"

	"automl/internal/probe"
)

// launches counts what the host reports through internal/probe: processes
// launched and crashed, by plugin.
type launches struct {
	probe.Sink // the methods the host does not call panic (nil)
	mu         sync.Mutex
	launched   map[string]int
	crashed    map[string]int
}

func (l *launches) PluginLaunched(p string) { l.mu.Lock(); l.launched[p]++; l.mu.Unlock() }
func (l *launches) PluginCrashed(p string)  { l.mu.Lock(); l.crashed[p]++; l.mu.Unlock() }

func (l *launches) counts(p string) (launched, crashed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.launched[p], l.crashed[p]
}

// probeLaunches records launches and crashes for the rest of the test (the
// package's tests do not run in parallel).
func probeLaunches(t *testing.T) *launches {
	l := &launches{launched: map[string]int{}, crashed: map[string]int{}}
	t.Cleanup(probe.Set(l))
	return l
}
