package words

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Total is the sum of the counts of a tally.
func Total(tally map[string]int) int {
	n := 0
	for _, c := range tally {
		n += c
	}
	return n
}

// Tally says a tally of reasons, the most common first (ties in
// alphabetical order): "lr > 0.5" when there is one reason, else
// "lr > 0.5: 2, optimizer = sgd: 1", the first shown of them and then how
// many more there are.
func Tally(tally map[string]int, shown int) string {
	reasons := make([]string, 0, len(tally))
	for r := range tally {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int { return cmp.Or(cmp.Compare(tally[b], tally[a]), cmp.Compare(a, b)) })
	if len(reasons) == 1 {
		return reasons[0]
	}
	parts := make([]string, 0, shown+1)
	for i, r := range reasons {
		if i == shown {
			parts = append(parts, fmt.Sprintf("%d more reasons", len(reasons)-shown))
			break
		}
		parts = append(parts, fmt.Sprintf("%s: %d", r, tally[r]))
	}
	return strings.Join(parts, ", ")
}
