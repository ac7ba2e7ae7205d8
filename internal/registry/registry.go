// Package registry maps names and aliases to what packages register at
// init: the algorithms a space file may name (search) and the built-in
// trainers it may name (spacefile).
package registry

import (
	"fmt"
	"sort"
	"sync"
)

// Registry is safe for concurrent use.
type Registry[T any] struct {
	kind   string
	mu     sync.RWMutex
	byName map[string]*T
}

// New makes an empty registry; kind names what it holds, for messages.
func New[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, byName: map[string]*T{}}
}

// Add registers v under name and its aliases. It panics on a name taken
// already: a programming error found at init.
func (r *Registry[T]) Add(v T, name string, aliases ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range append([]string{name}, aliases...) {
		if _, dup := r.byName[n]; dup {
			panic(fmt.Sprintf("%s %q registered twice", r.kind, n))
		}
		r.byName[n] = &v
	}
}

// Get returns what is registered under a name or alias.
func (r *Registry[T]) Get(name string) (*T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.byName[name]
	return v, ok
}

// Names lists the registered names and aliases, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.byName))
	for n := range r.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
