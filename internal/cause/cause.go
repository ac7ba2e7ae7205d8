// Package cause reads a failed trial's error text for what explains it. A
// trainer's error is a message, often followed by the end of the trainer's
// output (a Python traceback, a Go panic); a person needs one line that
// names the cause, such as "exec: python3 exited with status 1:
// ModuleNotFoundError: No module named 'torch'", the lines behind it, and a
// study's failures grouped by that cause rather than one group per trial.
// The summary of `automl search`, the reports, the dashboard and the
// scheduler's own messages all read errors through this package, so a
// cause reads the same everywhere.
package cause

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxLen bounds a cause, in characters: a Python exception can carry a
// whole tensor in its message, and a cause is shown in a table cell.
const MaxLen = 300

var (
	// trialKey is a trial's key as messages write it ("trial mnist/12/3"),
	// with the ": " that follows it when it prefixes a message.
	trialKey = regexp.MustCompile(`\btrial [a-z0-9_-]+/\d+/\d+(: )?`)
	// pid is a process id in parentheses: it differs in every trial.
	pid = regexp.MustCompile(`\s*\(pid \d+\)`)
	// announce is the end of a first line that only says output follows:
	// "; its log ends:", "; its stderr ends:".
	announce = regexp.MustCompile(`[;,:]?\s*its (?:\w+ )?(?:log|stderr|output) ends:$`)
	// header is such an announcement on a line of its own.
	header = regexp.MustCompile(`^its (?:\w+ )?(?:log|stderr|output) ends:$`)
	// pyError is the line naming a Python exception: "ValueError: bad",
	// "torch.cuda.OutOfMemoryError: CUDA out of memory", "KeyboardInterrupt".
	pyError = regexp.MustCompile(`^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Warning)\b(?::.*)?$`)
)

// Of returns the one line that says why a trial failed (or was pruned or
// stopped): the message's first line, without the trial keys and process
// ids that make every trial's text differ. When that line only announces
// the output that follows ("...; its log ends:"), the line of the output
// that explains it takes the announcement's place: a Python traceback's
// exception line, else the output's last line that is not indented.
func Of(text string) string {
	first, rest, _ := strings.Cut(strings.TrimSpace(text), "\n")
	first = strings.TrimSpace(first)
	var loc []int
	if strings.HasSuffix(first, "ends:") {
		loc = announce.FindStringIndex(first)
	}
	if loc != nil {
		lines := strings.Split(rest, "\n")
		if py, ok := PythonError(lines); ok {
			first = first[:loc[0]] + ": " + py
		} else if last := LastLine(lines); last != "" {
			first = first[:loc[0]] + "; its output ends with: " + last
		}
	} else if first == "" {
		first = LastLine(strings.Split(rest, "\n"))
	}
	if strings.Contains(first, "trial ") {
		first = withoutKeys(first)
	}
	if strings.Contains(first, "(pid ") {
		first = pid.ReplaceAllString(first, "")
	}
	return clip(strings.TrimSpace(first), MaxLen)
}

// withoutKeys drops the trial keys that prefix a message or a part of one
// ("trial s/3/1: exec: ...", "lost 3 times; last: trial s/3/3: ...") and
// writes "the trial" for a key inside a sentence ("died during trial s/3/1").
func withoutKeys(s string) string {
	var b strings.Builder
	at := 0
	for _, m := range trialKey.FindAllStringSubmatchIndex(s, -1) {
		before := strings.TrimRight(s[:m[0]], " ")
		prefix := m[2] >= 0 && (before == "" || strings.HasSuffix(before, ":") || strings.HasSuffix(before, ";"))
		b.WriteString(s[at:m[0]])
		switch {
		case prefix:
		case m[2] >= 0:
			b.WriteString("the trial: ")
		default:
			b.WriteString("the trial")
		}
		at = m[1]
	}
	b.WriteString(s[at:])
	return b.String()
}

// Detail returns the output quoted under a message: its lines after the
// first, without an "its log ends:" header and blank lines at either end;
// "" when there are none.
func Detail(text string) string {
	_, rest, _ := strings.Cut(strings.TrimSpace(text), "\n")
	rest = strings.Trim(rest, "\n")
	if first, after, _ := strings.Cut(rest, "\n"); header.MatchString(strings.TrimSpace(first)) {
		rest = strings.Trim(after, "\n")
	}
	return rest
}

// Group returns the text failures are grouped by: the cause with its
// numbers masked, so a loss that diverged to 2.5e+14 in one trial and to
// 8.8e+14 in another, or a temporary directory's number, make one group.
// A number is digits standing alone, with a fraction and an exponent if
// it has them; digits inside a name (x1, 0x5f, 256MiB) are kept. (A
// scanner, not a regular expression: a report groups every failed trial.)
func Group(cause string) string {
	if !strings.ContainsAny(cause, "0123456789") {
		return cause
	}
	var b strings.Builder
	b.Grow(len(cause))
	digits := func(j int) int {
		for j < len(cause) && isDigit(cause[j]) {
			j++
		}
		return j
	}
	for i := 0; i < len(cause); {
		if !isDigit(cause[i]) || i > 0 && isWord(cause[i-1]) {
			b.WriteByte(cause[i])
			i++
			continue
		}
		j := digits(i)
		if j+1 < len(cause) && cause[j] == '.' && isDigit(cause[j+1]) {
			j = digits(j + 1)
		}
		if j < len(cause) && (cause[j] == 'e' || cause[j] == 'E') {
			k := j + 1
			if k < len(cause) && (cause[k] == '+' || cause[k] == '-') {
				k++
			}
			if k < len(cause) && isDigit(cause[k]) {
				j = digits(k)
			}
		}
		if j < len(cause) && isWord(cause[j]) {
			b.WriteString(cause[i:j]) // part of a name
		} else {
			b.WriteByte('#')
		}
		i = j
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWord(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// PythonError returns the line naming the exception of the last Python
// traceback in lines ("ModuleNotFoundError: No module named 'torch'"), or
// the last such line without a traceback (Python prints a SyntaxError in
// the main script without one).
func PythonError(lines []string) (string, bool) {
	start := 0
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "Traceback (most recent call last):") {
			start = i + 1
			break
		}
	}
	if start > 0 {
		// The exception is the first line after the frames that is not
		// indented (frames, source lines and ^^^ markers are).
		for _, l := range lines[start:] {
			if l != "" && l[0] != ' ' && l[0] != '\t' && pyError.MatchString(strings.TrimRight(l, " \r")) {
				return strings.TrimRight(l, " \r"), true
			}
		}
	}
	for i := len(lines) - 1; i >= start; i-- {
		if l := strings.TrimRight(lines[i], " \r"); l != "" && l[0] != ' ' && l[0] != '\t' && pyError.MatchString(l) {
			return l, true
		}
	}
	return "", false
}

// LastLine returns the last line that is not blank or indented (indented
// lines continue a message above them: stack frames), or the last
// non-blank line when all are indented.
func LastLine(lines []string) string {
	fallback := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimRight(lines[i], " \r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if l[0] != ' ' && l[0] != '\t' {
			return l
		}
		if fallback == "" {
			fallback = strings.TrimSpace(l)
		}
	}
	return fallback
}

// Explain returns the line of a trainer's output that explains its
// failure, and whether it names the failure (a Python exception) rather
// than merely being where the output ends.
func Explain(lines []string) (line string, named bool) {
	if py, ok := PythonError(lines); ok {
		return py, true
	}
	return LastLine(lines), false
}

// clip cuts s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Key is what tells failures alike (budget.fail_fast): the cause of a
// failure's whole error text, with trial keys, pids and numbers masked.
func Key(reason string) string { return Group(Of(reason)) }

// Commonest is the most common cause among failures' error texts (alike
// by Key; the first seen among equals), as Of reads the first error that
// has it, and how many have it; n is 0 when errs is empty.
func Commonest(errs []string) (cause string, n int) {
	counts := map[string]int{}
	var keys, causes []string
	for _, e := range errs {
		k := Key(e)
		if counts[k] == 0 {
			keys, causes = append(keys, k), append(causes, Of(e))
		}
		counts[k]++
	}
	for i, k := range keys {
		if counts[k] > n {
			cause, n = causes[i], counts[k]
		}
	}
	return cause, n
}
