package plugins

import (
	"automl/trial"
	"automl/trial/triallog"
)

// The trial types a plugin author needs, so a plugin imports this package
// alone. They are aliases: identical to the trial package's.
type (
	// Runner runs one trial; see trial.Runner.
	Runner = trial.Runner
	// RunnerFunc adapts a function to Runner.
	RunnerFunc = trial.RunnerFunc
	// Spec is the job: parameters (Spec.Params), the resource span
	// (From, To), the checkpoint directory, the seed.
	Spec = trial.Spec
	// Reporter takes intermediate metrics and answers with a Directive.
	Reporter = trial.Reporter
	// Result is how the trial ended.
	Result = trial.Result
	// Metrics are named numbers; they must be finite.
	Metrics = trial.Metrics
	// Directive is the answer to a report: Continue or Stop.
	Directive = trial.Directive
	// Outcome says how a trial ended.
	Outcome = trial.Outcome
)

// Directives and outcomes, as in package trial.
const (
	Continue = trial.Continue
	Stop     = trial.Stop

	ExitDone    = trial.ExitDone
	ExitPruned  = trial.ExitPruned
	ExitAborted = trial.ExitAborted
	ExitPaused  = trial.ExitPaused
)

// Logf adds a line to the log of the trial whose Reporter is rep (automl
// logs STUDY TRIAL): a progress line, say. What a plugin prints to stdout
// or stderr while a trial runs is that trial's log too; Logf also works
// for a runner run in-process, and keeps the line's time exactly.
func Logf(rep Reporter, format string, args ...any) { triallog.Printf(rep, format, args...) }
