package probe

import (
	"testing"
	"time"
)

type counting struct {
	nop
	commits int
}

func (c *counting) StoreCommitted(time.Duration) { c.commits++ }

// Without a Sink the calls go nowhere; Set routes them to one, and its
// restore puts the previous one back.
func TestSetAndRestore(t *testing.T) {
	Get().StoreCommitted(time.Second) // no Sink: a no-op
	c := &counting{}
	restore := Set(c)
	Get().StoreCommitted(time.Second)
	inner := Set(nil)
	Get().StoreCommitted(time.Second) // none again
	inner()
	Get().StoreCommitted(time.Second)
	restore()
	Get().StoreCommitted(time.Second)
	if c.commits != 2 {
		t.Fatalf("the sink saw %d commits, want 2", c.commits)
	}
	if _, ok := Get().(nop); !ok {
		t.Fatalf("after restore: %T, want no sink", Get())
	}
}
