package suggest

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"minimize", "maximize", "learning_rate", "step"}
	for _, tc := range []struct{ word, want string }{
		{"maximise", "maximize"},
		{"minimise", "minimize"},
		{"setp", "step"},                   // a transposition costs one
		{"Learning_Rate", "learning_rate"}, // case does not count
		{"lr", ""},                         // too far to be a misspelling
		{"", ""},
	} {
		if got := Closest(tc.word, keys); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
	if got := Hint("setp", keys); got != ` (did you mean "step"?)` {
		t.Errorf("Hint = %q", got)
	}
	if got := Hint("zzzzzz", keys); got != "" {
		t.Errorf("Hint of nothing near = %q", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"step", "setp", 1}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
