package plugins

// SetBeforeStopDirective sets what runs between the host's Cancel and the
// stop directive it sends after a rejected report; it returns the undo.
func SetBeforeStopDirective(f func()) (undo func()) {
	old := beforeStopDirective
	beforeStopDirective = f
	return func() { beforeStopDirective = old }
}
