package errtree

import (
	"errors"
	"fmt"
	"testing"
)

type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprint("code ", e.code) }

// TestAll: every error of the type in a tree of joined and wrapped
// errors, in order; none in an error without one.
func TestAll(t *testing.T) {
	a, b, c := &codeError{1}, &codeError{2}, &codeError{3}
	err := errors.Join(fmt.Errorf("dispatch: %w", a), errors.New("other"), errors.Join(b, fmt.Errorf("%w and %w", c, errors.New("x"))))
	got := All[*codeError](err)
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Fatalf("All = %v, want [code 1 code 2 code 3]", got)
	}
	if got := All[*codeError](errors.New("plain")); got != nil {
		t.Errorf("an error without one: %v", got)
	}
	if got := All[*codeError](nil); got != nil {
		t.Errorf("nil: %v", got)
	}
}
