package proc

import "runtime"

// Locked runs start on a goroutine locked to its OS thread and keeps that
// thread alive until release is closed. A process started inside start
// with Pdeathsig set is killed when its creating thread exits (Linux ties
// the signal to the thread, not the process: golang/go#27505), so the
// thread must outlive the process and die with the worker; it is never
// unlocked, so when the goroutine returns the runtime ends the thread.
// Locked returns start's error once start has returned.
func Locked(start func() error, release <-chan struct{}) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := start()
		done <- err
		if err != nil {
			return
		}
		<-release
	}()
	return <-done
}
