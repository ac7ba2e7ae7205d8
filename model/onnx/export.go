package onnx

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"automl/model"
	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// Export writes a model, single or ensemble, as an ONNX graph.
func Export(m *model.Model, w io.Writer) error {
	s, err := FromModel(m)
	if err != nil {
		return err
	}
	return WriteSpec(s, w)
}

// FromModel describes a model for the exporter: one net per fold, with
// weight 1 (a single model) or, for an ensemble, the member's weight
// shared among its folds. A fitted transform the graph cannot express is
// an error naming it and its column.
func FromModel(m *model.Model) (*Spec, error) {
	info := m.Info()
	s := &Spec{Target: info.Target, Classes: info.Classes, Missing: m.Missing()}
	switch info.Task {
	case model.Binary:
		s.Task = data.Binary
	case model.Multiclass:
		s.Task = data.Multiclass
	case model.Regression:
		s.Task = data.Regression
	default:
		return nil, fmt.Errorf("onnx: unknown task %q", info.Task)
	}
	for _, in := range m.Inputs() {
		s.Columns = append(s.Columns, Column{Name: in.Name, Categorical: in.Categorical})
	}
	members, weights := []*model.Model{m}, []int{1}
	if m.Kind() == model.KindEnsemble {
		members, weights = m.Members()
	}
	for j, mem := range members {
		if !slices.Equal(mem.Missing(), s.Missing) {
			return nil, fmt.Errorf("onnx: ensemble member %d (trial %d) reads other cells as missing (%q) than member 1 (%q); the graph has one list", j+1, mem.Info().Trial, mem.Missing(), s.Missing)
		}
		folds := mem.Folds()
		for fi, f := range folds {
			net, err := netOf(f, float64(weights[j])/float64(len(folds)))
			if err != nil {
				where := fmt.Sprintf("fold %d", fi+1)
				if len(members) > 1 {
					where = fmt.Sprintf("member %d (trial %d) %s", j+1, mem.Info().Trial, where)
				}
				return nil, fmt.Errorf("onnx: %s: %w", where, err)
			}
			s.Nets = append(s.Nets, net)
		}
	}
	s.Name = "automl"
	if info.Study != "" {
		s.Name = info.Study
		s.Metadata = append(s.Metadata, [2]string{"automl.study", info.Study})
	}
	s.Metadata = append(s.Metadata, [2]string{"automl.kind", m.Kind()})
	if m.Kind() == model.KindSingle && info.Trial > 0 {
		s.Name += " trial " + strconv.Itoa(info.Trial)
		s.Metadata = append(s.Metadata, [2]string{"automl.trial", strconv.Itoa(info.Trial)})
	}
	return s, nil
}

// netOf turns one fold into a net.
func netOf(f model.Fold, weight float64) (Net, error) {
	net := Net{Weight: weight, TargetMean: f.YMean, TargetStd: f.YStd}
	for _, c := range f.Prep.Cols {
		if len(c.Transforms) > 0 {
			return net, fmt.Errorf("column %q: the %q transform has no ONNX form in this exporter", c.Name, c.Transforms[0].Name)
		}
		in := Input{Name: c.Name, Fill: c.Fill, Mean: c.Mean, Std: c.Std, Out: c.Out, Indicator: c.Indicator}
		if c.Categorical {
			in.Levels, in.LevelOut, in.FillLevel = c.Levels, c.OneHot, int(c.Fill)
		}
		net.Inputs = append(net.Inputs, in)
	}
	for i, l := range f.Layers {
		act := nn.Identity
		if l.Act != "" {
			a, err := nn.ParseActivation(l.Act)
			if err != nil {
				return net, fmt.Errorf("layer %d: %w", i+1, err)
			}
			act = a
		}
		net.Layers = append(net.Layers, Dense{In: l.In, Out: l.Out, W: l.W, B: l.B, Act: act})
	}
	return net, nil
}
