package data

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel kinds of data errors (see Error.Kind).
var (
	ErrNoFile    = errors.New("data set not found")
	ErrEmpty     = errors.New("no data rows")
	ErrRagged    = errors.New("ragged row")
	ErrNotNumber = errors.New("not a number")
	ErrNoTarget  = errors.New("target column missing")
	ErrOneClass  = errors.New("target has one class")
	ErrBadValue  = errors.New("bad value")
	ErrSplit     = errors.New("bad split")
)

// Error is a problem with a data set, placed at a line (1-based, 0 when it
// has none) and a column name when it has one.
type Error struct {
	Kind   error
	File   string
	Line   int
	Column string
	// ColIndex is the column's 1-based position in the file (0: unknown).
	ColIndex int
	Msg      string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	switch {
	case e.Column != "" && e.ColIndex > 0:
		fmt.Fprintf(&b, "column %d (%q): ", e.ColIndex, e.Column)
	case e.Column != "":
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the kind, so errors.Is(err, ErrRagged) works.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, file string, line int, col, format string, args ...any) *Error {
	return &Error{Kind: kind, File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}
