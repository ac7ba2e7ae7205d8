package bolt

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrCorrupt is wrapped by errors that come from a damaged store file.
var ErrCorrupt = errors.New("store file is corrupt (inspect it with `bbolt check`)")

// protect runs fn so that a panic or a memory fault inside bbolt (how it
// reports most damage to the file) becomes an error wrapping ErrCorrupt.
func protect(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	return fn()
}
