package search

import (
	"errors"
	"slices"
	"testing"
	"time"

	"automl/internal/probe"
)

type calls struct {
	probe.Sink
	seen []string
}

func (c *calls) Searched(call string, d time.Duration) {
	if d < 0 {
		call += " (negative)"
	}
	c.seen = append(c.seen, call)
}

type fixed struct{ Searcher }

func (fixed) Start(Context) ([]Action, error)          { return []Action{{ID: 1}}, nil }
func (fixed) Next(Context) ([]Action, error)           { return nil, nil }
func (fixed) Observe(Context, Event) ([]Action, error) { return []Action{{ID: 2}}, nil }

// Timed reports each call to the probe and passes the searcher's answers
// (and a constructor's error) through unchanged.
func TestTimed(t *testing.T) {
	c := &calls{}
	defer probe.Set(c)()
	if _, err := Timed(fixed{}, errors.New("bad option")); err == nil || err.Error() != "bad option" {
		t.Fatalf("error: %v", err)
	}
	s, err := Timed(fixed{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Start(Context{})
	_, _ = s.Next(Context{})
	b, _ := s.Observe(Context{}, Event{})
	if len(a) != 1 || a[0].ID != 1 || len(b) != 1 || b[0].ID != 2 {
		t.Errorf("actions changed: %v %v", a, b)
	}
	if want := []string{"start", "next", "observe"}; !slices.Equal(c.seen, want) {
		t.Errorf("probe saw %v, want %v", c.seen, want)
	}
}
