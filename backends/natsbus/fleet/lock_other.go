//go:build !unix

package fleet

// lock is a no-op where there is no flock: one process per fleet directory.
func (d *Dir) lock() (unlock func(), err error) { return func() {}, nil }
