// Package errtree finds errors of a type in an error tree: errors.Join's
// and fmt.Errorf's with several %w hold many, where errors.As finds one.
package errtree

import "errors"

// All lists the errors of type T that err holds, depth first: each joined
// error's own, in order; an error that is a T is not searched further.
func All[T error](err error) []T {
	if err == nil {
		return nil
	}
	if many, ok := err.(interface{ Unwrap() []error }); ok {
		var out []T
		for _, e := range many.Unwrap() {
			out = append(out, All[T](e)...)
		}
		return out
	}
	var t T
	if errors.As(err, &t) {
		return []T{t}
	}
	return nil
}
