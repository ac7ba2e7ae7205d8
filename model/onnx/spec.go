package onnx

import (
	"fmt"
	"math"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// Spec is what the exporter needs of a trained model: the input columns,
// and for each network its fitted preprocessing, its dense layers (batch
// norm already folded in) and its weight in the average. Export fills it
// from a model (a k-fold model gives one net per fold, an ensemble its
// members' folds); tests build one by hand.
type Spec struct {
	// Name names the graph (the study and trial, say).
	Name string
	// Task is data.Binary, data.Multiclass or data.Regression.
	Task data.Task
	// Target names the predicted column (metadata only).
	Target string
	// Classes name the classes in output order (classification).
	Classes []string
	// Columns are the graph's inputs, in order.
	Columns []Column
	// Nets are the networks whose probabilities (or values) are averaged,
	// each with its weight.
	Nets []Net
	// Missing are the cells of a categorical input read as missing.
	Missing []string
	// Metadata are extra key/value pairs for the model's metadata_props.
	Metadata [][2]string
}

// Column is an input column: a double input, or a string one when
// categorical.
type Column struct {
	Name        string
	Categorical bool
}

// Net is one network with the preprocessing fitted for it.
type Net struct {
	// Weight is the net's share of the average (> 0; normalised).
	Weight float64
	// Inputs encode the columns into the first layer's features; each
	// names a column of the spec.
	Inputs []Input
	// Layers map the features to the raw outputs: one logit (binary), one
	// per class (multiclass) or the scaled value (regression).
	Layers []Dense
	// TargetMean and TargetStd undo the regression target's scaling:
	// value = output*TargetStd + TargetMean.
	TargetMean, TargetStd float64
}

// Input is one column's fitted preprocessing for a net. Feature offsets
// index the net's first dense layer's inputs.
type Input struct {
	Name string
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
	want := 1
	switch s.Task {
	case data.Binary:
		if len(s.Classes) != 2 {
			return fmt.Errorf("onnx: a binary model needs 2 classes, got %d", len(s.Classes))
		}
	case data.Multiclass:
		want = len(s.Classes)
		if want < 3 {
			return fmt.Errorf("onnx: a multiclass model needs at least 3 classes, got %d", want)
		}
	case data.Regression:
	default:
		return fmt.Errorf("onnx: task %v is not binary, multiclass or regression", s.Task)
	}
	if len(s.Nets) == 0 {
		return fmt.Errorf("onnx: the model has no network")
	}
	if len(s.Columns) == 0 {
		return fmt.Errorf("onnx: the model has no input columns")
	}
	cat := map[string]bool{}
	for _, c := range s.Columns {
		if _, dup := cat[c.Name]; dup || c.Name == "" {
			return fmt.Errorf("onnx: input column %q is unnamed or named twice", c.Name)
		}
		cat[c.Name] = c.Categorical
	}
	for k, net := range s.Nets {
		if err := net.check(s.Task, want, cat); err != nil {
			return fmt.Errorf("onnx: net %d: %w", k+1, err)
		}
	}
	return nil
}

// check validates one net against the task's output width and the
// columns (name -> categorical).
func (n *Net) check(task data.Task, want int, cat map[string]bool) error {
	if !(n.Weight > 0) || math.IsInf(n.Weight, 0) {
		return fmt.Errorf("weight %v is not positive", n.Weight)
	}
	if task == data.Regression && (!(n.TargetStd > 0) || math.IsInf(n.TargetStd, 0) || math.IsNaN(n.TargetMean) || math.IsInf(n.TargetMean, 0)) {
		return fmt.Errorf("target scale: mean %v, std %v", n.TargetMean, n.TargetStd)
	}
	if len(n.Layers) == 0 {
		return fmt.Errorf("no layers")
	}
	width := n.Layers[0].In
	in := width
	for l, d := range n.Layers {
		if d.In != in || d.In < 1 || d.Out < 1 || len(d.W) != d.In*d.Out || len(d.B) != d.Out {
			return fmt.Errorf("layer %d: shape %dx%d with %d weights and %d biases; want %d inputs", l+1, d.In, d.Out, len(d.W), len(d.B), in)
		}
		if _, ok := actOps[d.Act]; !ok {
			return fmt.Errorf("layer %d: activation %v has no ONNX form here", l+1, d.Act)
		}
		in = d.Out
	}
	if in != want {
		return fmt.Errorf("%d outputs; the %v task wants %d", in, task, want)
	}
	used := map[int]string{}
	feature := func(col string, o int) error {
		if o < 0 {
			return nil
		}
		if o >= width {
			return fmt.Errorf("input %q: feature %d is beyond the network's %d inputs", col, o, width)
		}
		if prev, dup := used[o]; dup {
			return fmt.Errorf("inputs %q and %q both write feature %d", prev, col, o)
		}
		used[o] = col
		return nil
	}
	for _, in := range n.Inputs {
		categorical, ok := cat[in.Name]
		if !ok {
			return fmt.Errorf("input %q is not a column of the model", in.Name)
		}
		if err := feature(in.Name, in.Indicator); err != nil {
			return err
		}
		if !categorical {
			if in.Out < 0 || !(in.Std > 0) || math.IsNaN(in.Fill+in.Mean) || math.IsInf(in.Fill+in.Mean+in.Std, 0) {
				return fmt.Errorf("input %q: feature %d, fill %v, mean %v, std %v", in.Name, in.Out, in.Fill, in.Mean, in.Std)
			}
			if err := feature(in.Name, in.Out); err != nil {
				return err
			}
			continue
		}
		if len(in.LevelOut) != len(in.Levels) || in.FillLevel < 0 || in.FillLevel >= len(in.Levels) {
			return fmt.Errorf("input %q: %d levels, %d feature offsets, fill level %d", in.Name, len(in.Levels), len(in.LevelOut), in.FillLevel)
		}
		for _, o := range in.LevelOut {
			if err := feature(in.Name, o); err != nil {
				return err
			}
		}
	}
	if len(used) == 0 {
		return fmt.Errorf("no input feature")
	}
	return nil
}
