// Package plugins runs trainers out of the worker's process, over
// hashicorp/go-plugin's gRPC protocol, so a crash, a leak or a hang of one
// trial never takes a worker slot down and every GPU it held is released.
//
// Plugin authors call Serve(runner) first in main; the runner is an
// ordinary trial.Runner, and the protocol types stay internal. Hosts (the
// worker) call Open(cfg) to start a plugin process and get a trial.Runner
// back, or use a Slot, which picks the process for each job (a built-in
// trainer served by the automl binary itself, or an external binary),
// keeps it across trials when the trainer allows reuse, replaces a crashed
// process, and launches the next trial's fresh process while the current
// trial runs, so the launch is off the trial's critical path.
//
// Every plugin process starts in its own session (and so its own process
// group), with only the environment it is given (no host secrets), with
// mutual TLS on its socket, and with a parent-death signal tied to a locked
// OS thread, so a worker that dies takes its plugins with it. Stopping or
// timing out a trial that does not stop within a grace period kills the
// whole session: the plugin, and every child and grandchild it started.
package plugins
