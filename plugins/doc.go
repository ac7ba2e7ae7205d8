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
// OS thread, so a worker that dies takes its plugins with it. It also
// starts in a box (internal/proc.Box): a cgroup v2 group of its own where
// one can be made, else a subreaper box, in which the worker and the
// plugin are child subreapers and the plugin's descendants carry a token.
// The box holds every descendant, even one that left the session: at each
// trial's end Run kills what the trial left in it, the plugin aside, and
// stopping or timing out a trial that does not stop within a grace period
// kills the whole box. A process that dies is described by its exit
// status or signal.
package plugins
