package bolt

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrCorrupt is wrapped by errors that come from a damaged store file
// (what Open, OpenReader and reads return then is a *DamagedError, which
// says how to recover).
var ErrCorrupt = errors.New("study file is damaged")

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
