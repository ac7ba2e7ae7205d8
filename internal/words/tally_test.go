package words

import "testing"

func TestTally(t *testing.T) {
	for _, c := range []struct {
		tally map[string]int
		want  string
		total int
	}{
		{map[string]int{}, "", 0},
		{map[string]int{"lr > 0.5": 3}, "lr > 0.5", 3},
		{map[string]int{"optimizer = sgd": 1, "lr > 0.5": 2}, "lr > 0.5: 2, optimizer = sgd: 1", 3},
		{map[string]int{"b": 1, "a": 1}, "a: 1, b: 1", 2},
		{map[string]int{"a": 5, "b": 4, "c": 3, "d": 2, "e": 1, "f": 1}, "a: 5, b: 4, c: 3, d: 2, 2 more reasons", 16},
	} {
		if got := Tally(c.tally, 4); got != c.want {
			t.Errorf("Tally(%v) = %q, want %q", c.tally, got, c.want)
		}
		if got := Total(c.tally); got != c.total {
			t.Errorf("Total(%v) = %d, want %d", c.tally, got, c.total)
		}
	}
}
