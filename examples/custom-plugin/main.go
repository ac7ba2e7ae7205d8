// Command custom-plugin is a trainer built against automl/plugins alone. It
// "trains" over the job's span of epochs a model whose loss decays toward
// (x-1)^2 + (y+2)^2, reports it each epoch (and logs it: automl logs), and
// stops when pruned.
package main

import (
	"context"
	"math"

	"automl/plugins"
)

func train(ctx context.Context, spec plugins.Spec, rep plugins.Reporter) (plugins.Result, error) {
	x, y := spec.Params.Float("x", 0), spec.Params.Float("y", 0)
	epochs := spec.To
	if epochs == 0 {
		epochs = 10 // no span given: train the full budget
	}
	var loss float64
	for epoch := spec.From + 1; epoch <= epochs; epoch++ {
		loss = (x-1)*(x-1) + (y+2)*(y+2) + math.Exp(-epoch/3)
		plugins.Logf(rep, "epoch %v: loss %.4f", epoch, loss) // the trial's log: automl logs STUDY TRIAL
		d, err := rep.Report(ctx, epoch, plugins.Metrics{"loss": loss})
		if err != nil {
			return plugins.Result{}, err
		}
		if d == plugins.Stop {
			return plugins.Result{Outcome: plugins.ExitPruned, Step: epoch, Metrics: plugins.Metrics{"loss": loss}}, nil
		}
	}
	return plugins.Result{Outcome: plugins.ExitDone, Step: epochs, Metrics: plugins.Metrics{"loss": loss}}, nil
}

func main() {
	plugins.Serve(plugins.RunnerFunc(train)) // first in main: stdout carries the handshake
}
