// Package fidelitytest drives a multi-fidelity searcher the way the
// scheduler does, over simulated trials whose learning curves come from a
// known family (Curve), so tests can check rung budgets, promotions,
// stopping rules and crash recovery without workers.
//
// The simulation is a discrete-event run in virtual time: a job trains one
// unit of resource per tick of its trial's speed, reporting after each
// unit, and exits at its Span.To; it pauses there when To is below the
// full budget (the trainer keeps a checkpoint) and completes at the full
// budget. The scheduler's side is modelled as scheduler/scheduler.go does
// it: a Create of a new id adds a pending observation to the History; a
// Create of a paused trial is a promotion (the observation goes back to
// pending); the History is updated before the exit is observed; Next is
// called after each event while there is capacity; a Stop of a running job
// makes it exit pruned at its next report.
//
// Kills: a run can be interrupted at chosen moments. The searcher is then
// discarded, and the run rolls back to its last commit (the searcher's
// snapshot, the history, the jobs and the study rng, saved together as
// the scheduler's one transaction does) and continues with a fresh
// searcher restored from that snapshot; the events after the commit are
// delivered again, as JetStream redelivers unacknowledged events.
package fidelitytest
