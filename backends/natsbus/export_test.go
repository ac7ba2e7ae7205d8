package natsbus

import "time"

// SetFreeSpace makes embedded servers see f as the free space of their
// store's disk, until restore.
func SetFreeSpace(f func(dir string) (int64, error)) (restore func()) {
	old := freeSpace
	freeSpace = f
	return func() { freeSpace = old }
}

// SetCheckEvery sets how often embedded servers started from now on look
// at their store, until restore.
func SetCheckEvery(d time.Duration) (restore func()) {
	old := checkEvery
	checkEvery = d
	return func() { checkEvery = old }
}
