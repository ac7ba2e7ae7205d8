// Package fidelity is the rung and budget machinery shared by the
// multi-fidelity searchers (search/hyperband, search/asha, search/bohb):
// Hyperband's brackets and ASHA's rung ladders (brackets.go), the options
// they share (options.go), the ledger of every trial's rung, phase and loss
// at each rung (ledger.go), and the Proposer that draws new configurations
// from any registered sampler (sampler.go), feeding a model sampler the
// results of one budget as BOHB does.
//
// # Jobs, promotions and checkpoints
//
// A trial's job trains from one rung to the next: Create{ID, Point,
// Span{0, r0}} for a new configuration, and Create{ID: same trial,
// Span{r_k, r_k+1}} for a promotion, which the scheduler dispatches as a
// new attempt that resumes from the checkpoint the trainer saved at r_k.
// A job that ends at its Span.To below max_resource leaves the trial
// paused; the searchers never Stop a trial, they simply do not promote it.
//
// An Exited event with status Complete and a loss is the trial's result at
// the rung its job was sent to; it is promotable when the job reached the
// rung (Step >= Span.To) and the rung is not the top one. Any other exit
// (failed, pruned, no loss) leaves the trial dead at that rung. Reported
// events are not used: rungs compare final values only.
//
// # Capacity and budgets
//
// A call may return at most Capacity.Jobs Creates, of which at most
// Capacity.New for new trials; promotions come first, then new trials.
// budget.trials counts configurations (new trials): a promotion is not a
// trial. CapacityOf reads both from search.Context: Jobs are the free
// slots, New (Want) the trial budget left. Given free slots but no new
// trials (Capacity.Exhausted), Hyperband closes its unfinished brackets
// (their first rung shrinks to the trials it has, later rungs in
// proportion, at least one each) so every bracket still reaches
// max_resource, and ASHA keeps promoting until no rung has a candidate;
// the study is over when nothing runs and a call creates nothing.
// max_resource_total is the scheduler's to enforce, by giving no
// capacity once the resource trained plus the spans of running jobs
// reaches it (fidelitytest.Config.MaxResourceTotal models this).
package fidelity
