package onnx

import (
	"fmt"
	"math"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// Spec is what the exporter needs of a trained model: the fitted
// preprocessing of each input column, the dense layers of each network
// (batch norm already folded in) and the task's head. Export fills it from
// a model; tests build one by hand.
type Spec struct {
	// Name names the graph (the study and trial, say).
	Name string
	// Task is data.Binary, data.Multiclass or data.Regression.
	Task data.Task
	// Target names the predicted column (metadata only).
	Target string
	// Classes name the classes in output order (classification).
	Classes []string
	// Inputs are the columns in the order of the graph's inputs.
	Inputs []Input
	// Nets are the networks whose outputs are averaged (k folds; one
	// otherwise). Each maps the encoded features to the raw outputs: one
	// logit (binary), one per class (multiclass) or the scaled value.
	Nets [][]Dense
	// AverageLogits averages the nets' raw outputs before the sigmoid or
	// softmax; otherwise their probabilities are averaged.
	AverageLogits bool
	// TargetMean and TargetStd undo the regression target's scaling:
	// value = output*TargetStd + TargetMean.
	TargetMean, TargetStd float64
	// Missing are the cells of a categorical input read as missing.
	Missing []string
	// Metadata are extra key/value pairs for the model's metadata_props.
	Metadata [][2]string
}

// Input is one column's fitted preprocessing. Feature offsets index the
// first dense layer's inputs.
type Input struct {
	Name        string
	Categorical bool
	// Numeric: a missing value (NaN) is replaced by Fill, then feature Out
	// is (x-Mean)/Std.
	Fill, Mean, Std float64
	Out             int
	// Categorical: level Levels[i] sets feature LevelOut[i] to 1 (-1: the
	// level has no feature, all zeros), an unknown level sets none, and a
	// missing cell counts as level Levels[FillLevel].
	Levels    []string
	LevelOut  []int
	FillLevel int
	// Indicator is the feature set to 1 when the cell is missing (-1: none).
	Indicator int
}

// Dense is y = act(x·W + b) with W stored In x Out, row-major.
type Dense struct {
	In, Out int
	W, B    []float32
	Act     nn.Activation
}

// check validates a spec before it is turned into a graph.
func (s *Spec) check() error {
	switch s.Task {
	case data.Binary, data.Multiclass, data.Regression:
	default:
		return fmt.Errorf("onnx: task %v is not binary, multiclass or regression", s.Task)
	}
	if len(s.Nets) == 0 {
		return fmt.Errorf("onnx: the model has no network")
	}
	if len(s.Inputs) == 0 {
		return fmt.Errorf("onnx: the model has no input columns")
	}
	want := 1
	switch s.Task {
	case data.Multiclass:
		want = len(s.Classes)
		if want < 3 {
			return fmt.Errorf("onnx: a multiclass model needs at least 3 classes, got %d", want)
		}
	case data.Binary:
		if len(s.Classes) != 2 {
			return fmt.Errorf("onnx: a binary model needs 2 classes, got %d", len(s.Classes))
		}
	case data.Regression:
		if s.TargetStd == 0 || math.IsNaN(s.TargetStd) || math.IsNaN(s.TargetMean) {
			return fmt.Errorf("onnx: regression target scale mean %v std %v", s.TargetMean, s.TargetStd)
		}
	}
	width := s.Nets[0][0].In
	for k, net := range s.Nets {
		if len(net) == 0 {
			return fmt.Errorf("onnx: net %d has no layers", k+1)
		}
		in := width
		for l, d := range net {
			if d.In != in || d.In < 1 || d.Out < 1 || len(d.W) != d.In*d.Out || len(d.B) != d.Out {
				return fmt.Errorf("onnx: net %d layer %d: shape %dx%d with %d weights and %d biases; want %d inputs", k+1, l+1, d.In, d.Out, len(d.W), len(d.B), in)
			}
			if _, ok := actOps[d.Act]; !ok {
				return fmt.Errorf("onnx: net %d layer %d: activation %v has no ONNX form here", k+1, l+1, d.Act)
			}
			in = d.Out
		}
		if in != want {
			return fmt.Errorf("onnx: net %d has %d outputs; the %v task wants %d", k+1, in, s.Task, want)
		}
	}
	used := map[int]string{}
	feature := func(col string, o int) error {
		if o < 0 {
			return nil
		}
		if o >= width {
			return fmt.Errorf("onnx: input %q: feature %d is beyond the network's %d inputs", col, o, width)
		}
		if prev, dup := used[o]; dup {
			return fmt.Errorf("onnx: inputs %q and %q both write feature %d", prev, col, o)
		}
		used[o] = col
		return nil
	}
	names := map[string]bool{}
	for _, in := range s.Inputs {
		if in.Name == "" || names[in.Name] {
			return fmt.Errorf("onnx: input column %q is unnamed or named twice", in.Name)
		}
		names[in.Name] = true
		if err := feature(in.Name, in.Indicator); err != nil {
			return err
		}
		if !in.Categorical {
			if in.Out < 0 || in.Std == 0 || math.IsNaN(in.Fill+in.Mean+in.Std) {
				return fmt.Errorf("onnx: input %q: feature %d, fill %v, mean %v, std %v", in.Name, in.Out, in.Fill, in.Mean, in.Std)
			}
			if err := feature(in.Name, in.Out); err != nil {
				return err
			}
			continue
		}
		if len(in.LevelOut) != len(in.Levels) || in.FillLevel < 0 || in.FillLevel >= len(in.Levels) {
			return fmt.Errorf("onnx: input %q: %d levels, %d feature offsets, fill level %d", in.Name, len(in.Levels), len(in.LevelOut), in.FillLevel)
		}
		for _, o := range in.LevelOut {
			if err := feature(in.Name, o); err != nil {
				return err
			}
		}
	}
	return nil
}
