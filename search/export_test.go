package search

// SetPanicRecovery turns Parse's last-resort recover on or off and returns
// a function that restores the previous setting. The fuzz test turns it off
// so that a panic on some input crashes and is reported, not hidden.
func SetPanicRecovery(on bool) (restore func()) {
	prev := noRecover.Swap(!on)
	return func() { noRecover.Store(prev) }
}
