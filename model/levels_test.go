package model

import (
	"fmt"
	"testing"
)

// TestLevelIndexFindsEveryLevelAndNothingElse: each level maps to its own
// code whatever the table's size and collisions (1 to 1,000 levels), and
// cells that are not levels (prefixes, extensions, other case, empty) are
// not found.
func TestLevelIndexFindsEveryLevelAndNothingElse(t *testing.T) {
	for _, n := range []int{1, 2, 7, 8, 9, 42, 1000} {
		var levels []string
		for i := range n {
			levels = append(levels, fmt.Sprintf("lv%d", i))
		}
		if n > 2 {
			levels[1] = "" // an empty level, when "" is not read as missing
		}
		ix := newLevelIndex(levels)
		for code, l := range levels {
			if got, ok := ix.code(l); !ok || got != int32(code) {
				t.Errorf("%d levels: %q -> %d, %v; want %d", n, l, got, ok, code)
			}
		}
		for _, s := range []string{"lv", "LV0", "lv0 ", fmt.Sprintf("lv%d", n), "lv00", "x"} {
			if got, ok := ix.code(s); ok {
				t.Errorf("%d levels: %q found as %d", n, s, got)
			}
		}
	}
}
