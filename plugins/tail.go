package plugins

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// tail keeps the last max bytes written to it: the plugin's stderr, for
// the message of a crash. Safe for concurrent use.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// goSignalCrash is the first line of a Go program killed by a signal its
// runtime catches: "SIGSEGV: segmentation violation" at a line's start.
var goSignalCrash = regexp.MustCompile(`(?m)^SIG[A-Z0-9]+: [a-z]`)

// crashExcerpt picks what explains a crash from a stderr tail: the Go
// panic, fatal error or signal crash ("SIGSEGV: segmentation violation",
// a signal the Go runtime turns into exit status 2) and the first lines of
// its trace when there is one, else the last lines written.
func crashExcerpt(s string) string {
	const lines = 12
	if strings.Contains(s, markerPrefix) { // the end markers of earlier trials
		kept := strings.Split(s, "\n")
		kept = slices.DeleteFunc(kept, func(l string) bool { return strings.HasPrefix(l, markerPrefix) })
		s = strings.Join(kept, "\n")
	}
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	start := -1
	for _, marker := range []string{"panic: ", "fatal error: "} {
		if i := strings.LastIndex(s, marker); i >= 0 && (i == 0 || s[i-1] == '\n') && i > start {
			start = i
		}
	}
	if loc := goSignalCrash.FindAllStringIndex(s, -1); len(loc) > 0 && loc[len(loc)-1][0] > start {
		start = loc[len(loc)-1][0]
	}
	if start >= 0 {
		ls := strings.Split(s[start:], "\n")
		if len(ls) > lines {
			ls = ls[:lines]
		}
		return strings.Join(ls, "\n")
	}
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return string(bytes.TrimSpace([]byte(strings.Join(ls, "\n"))))
}
