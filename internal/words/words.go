// Package words holds the small helpers that put counts and lists into
// messages: "1 trial", "3 trials", "is"/"are".
package words

import "fmt"

// Plural is "1 noun" or "n nouns".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// IsAre is the verb that agrees with a count of n.
func IsAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// NonEmpty is the strings that are not empty, in order.
func NonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
