// Package cause tells when trials failed for the same reason. A failure's
// reason names its trial (`trial s/4/1: ...`), its temporary files and
// numbers that differ from run to run; its cause is what is left of the
// reason's first line (the message) and its last non-empty line (for a
// trainer's output, usually the error that stopped it, such as Python's
// `ModuleNotFoundError: No module named 'torch'`) once those are taken
// out. The scheduler stops a study whose first trials all fail with one
// cause (budget.fail_fast) and says which; reports may group failures by it.
package cause

import (
	"regexp"
	"strings"
)

var (
	// trialKey is a trial's key as messages print it: study/id/attempt.
	trialKey = regexp.MustCompile(`\btrial [A-Za-z0-9][A-Za-z0-9_.-]*/\d+/\d+:?\s*`)
	// tempName is the random part of a temporary file or directory name
	// (os.MkdirTemp's digits, a hex suffix).
	tempName = regexp.MustCompile(`(automl-[a-z]+-|/tmp/[^/\s]*?)[0-9a-f]{6,}`)
	numbers  = regexp.MustCompile(`[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)
	spaces   = regexp.MustCompile(`\s+`)
)

// Key is the cause of a failure with the given reason: two reasons with
// the same key failed the same way. It is meant for comparison only.
func Key(reason string) string {
	first, last := ends(reason)
	k := normalise(first)
	if last != "" {
		k += "\n" + normalise(last)
	}
	return k
}

// Text is the cause as a person reads it, on one line: the reason's first
// line without the trial's key and, when the reason has more lines, its
// last non-empty one after " … ".
func Text(reason string) string {
	first, last := ends(reason)
	first = strings.TrimSpace(trialKey.ReplaceAllString(first, ""))
	switch {
	case last == "":
		return first
	case first == "":
		return last
	}
	return first + " … " + last
}

// ends returns the reason's first line and its last non-empty line ("" when
// that is the first line, or it is contained in it).
func ends(reason string) (first, last string) {
	lines := strings.Split(strings.TrimSpace(reason), "\n")
	first = strings.TrimSpace(lines[0])
	for i := len(lines) - 1; i > 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			if !strings.Contains(first, l) {
				last = l
			}
			break
		}
	}
	return first, last
}

// normalise takes out what differs between trials failing the same way.
func normalise(line string) string {
	line = trialKey.ReplaceAllString(line, "trial * ")
	line = tempName.ReplaceAllString(line, "${1}*")
	line = numbers.ReplaceAllString(line, "#")
	return strings.TrimSpace(spaces.ReplaceAllString(line, " "))
}
