package dashboard

import (
	"sync"
	"time"
)

// cacheKey names one state of a study: every scheduler commit moves Updated.
type cacheKey struct {
	name    string
	updated time.Time
}

// viewCache keeps the page data of the last few study states, so pages
// open on the same study share one build, and builds of one key are not
// repeated while one is running.
type viewCache struct {
	mu      sync.Mutex
	max     int
	entries []*cacheEntry // most recently used last
}

type cacheEntry struct {
	key  cacheKey
	once sync.Once
	data []byte
	err  error
}

func newViewCache(n int) *viewCache { return &viewCache{max: n} }

func (c *viewCache) get(k cacheKey, build func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	var e *cacheEntry
	for i, x := range c.entries {
		if x.key.name == k.name && x.key.updated.Equal(k.updated) {
			e = x
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), x)
			break
		}
	}
	if e == nil {
		e = &cacheEntry{key: k}
		c.entries = append(c.entries, e)
		if len(c.entries) > c.max {
			c.entries = c.entries[1:]
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.data, e.err = build() })
	if e.err != nil {
		c.drop(e) // a failed build is not kept
	}
	return e.data, e.err
}

func (c *viewCache) drop(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.entries {
		if x == e {
			c.entries = append(c.entries[:i:i], c.entries[i+1:]...)
			return
		}
	}
}
