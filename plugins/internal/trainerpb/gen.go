// Package trainerpb holds the generated protobuf and gRPC code of the
// trainer protocol (trainer.proto). Only package plugins uses it; plugin
// authors and hosts see Go types (trial.Spec, trial.Reporter) instead.
package trainerpb

//go:generate sh gen.sh
