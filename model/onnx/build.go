package onnx

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// Opset versions the graph is written for, and its IR version.
const (
	OpsetVersion   = 13 // the default domain (ai.onnx)
	MLOpsetVersion = 2  // ai.onnx.ml: LabelEncoder 2, OneHotEncoder 1
	IRVersion      = 8
	mlDomain       = "ai.onnx.ml"
)

// Output names of the graph.
const (
	OutputLabel         = "label"         // string [N]: the predicted class
	OutputProbabilities = "probabilities" // float [N, classes]
	OutputValue         = "value"         // double [N, 1]: regression
)

// batch is the name of the rows dimension.
const batch = "N"

// actOps maps an activation to its ONNX operator ("" for none; GELU is
// written as 0.5·x·(1+Erf(x/√2)): the Gelu operator is opset 20).
var actOps = map[nn.Activation]string{nn.Identity: "", nn.ReLU: "Relu", nn.LeakyReLU: "LeakyRelu", nn.Tanh: "Tanh", nn.Sigmoid: "Sigmoid", nn.GELU: "gelu"}

// leakySlope is nn's leaky_relu slope.
const leakySlope = 0.01

// WriteSpec writes the ONNX model of a spec.
func WriteSpec(s *Spec, w io.Writer) error {
	b, err := MarshalSpec(s)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalSpec returns the ONNX model of a spec, serialised.
func MarshalSpec(s *Spec) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	b := &builder{names: map[string]bool{}, nans: map[string]string{}, cat: map[string]bool{}}
	for _, c := range s.Columns {
		b.names[c.Name] = true
		b.cat[c.Name] = c.Categorical
	}
	for _, o := range []string{OutputLabel, OutputProbabilities, OutputValue} {
		if b.names[o] {
			return nil, fmt.Errorf("onnx: input column %q has the name of an output (%s, %s, %s); rename the column", o, OutputLabel, OutputProbabilities, OutputValue)
		}
		b.names[o] = true
	}
	for _, c := range s.Columns {
		if c.Categorical {
			b.input(c.Name, tString)
		} else {
			b.input(c.Name, tDouble)
		}
	}
	missing := dedupe(s.Missing) // LabelEncoder keys are unique
	outs := make([]string, len(s.Nets))
	for k, net := range s.Nets {
		x, order := b.features(net, missing)
		outs[k] = b.netHead(s, b.net(k, net.Layers, x, order), net)
	}
	b.combine(s, outs)
	meta := append([][2]string{{"automl.task", s.Task.String()}, {"automl.target", s.Target}}, s.Metadata...)
	if s.Task.Classification() {
		meta = append(meta, [2]string{"automl.classes", strconv.Quote(fmt.Sprint(s.Classes))})
	}
	b.g.name = s.Name
	if b.g.name == "" {
		b.g.name = "automl"
	}
	m := &modelProto{
		irVersion:    IRVersion,
		opsets:       []opsetID{{"", OpsetVersion}, {mlDomain, MLOpsetVersion}},
		producerName: "automl",
		doc:          docString,
		graph:        &b.g,
		metadata:     meta,
	}
	return m.marshal(), nil
}

// docString is the model's doc_string: how to feed it.
const docString = "Inputs: one per column, [N,1]: numeric columns as double (NaN where missing), categorical ones as string (trimmed; a missing-value token such as \"\" where missing). " +
	"Outputs: label (string [N]) and probabilities (float [N,classes]) for classification; value (double [N,1]) for regression."

// builder accumulates a graph; names holds every value name in use.
type builder struct {
	g     graphProto
	names map[string]bool
	n     int
	nans  map[string]string // column -> its IsNaN value
	cat   map[string]bool   // column -> categorical
}

// fresh returns an unused value name.
func (b *builder) fresh(hint string) string {
	for {
		b.n++
		name := "automl_" + hint + "_" + strconv.Itoa(b.n)
		if !b.names[name] {
			b.names[name] = true
			return name
		}
	}
}

// node adds a node with one output (named out, or a fresh name) and
// returns the output's name.
func (b *builder) node(op, domain, out string, in []string, attrs ...attribute) string {
	if out == "" {
		out = b.fresh(op)
	}
	b.g.nodes = append(b.g.nodes, nodeProto{inputs: in, outputs: []string{out}, name: "node_" + strconv.Itoa(len(b.g.nodes)) + "_" + op, op: op, attrs: attrs, domain: domain})
	return out
}

// init adds an initializer under a fresh name and returns the name.
func (b *builder) init(hint string, t tensorProto) string {
	t.name = b.fresh(hint)
	b.g.inits = append(b.g.inits, t)
	return t.name
}

func (b *builder) scalarD(v float64) string {
	return b.init("c", doubleTensor("", []int64{1}, []float64{v}))
}
func (b *builder) scalarF(v float32) string {
	return b.init("c", floatTensor("", []int64{1}, []float32{v}))
}

// input declares a graph input [N, 1].
func (b *builder) input(name string, elem int64) {
	b.g.inputs = append(b.g.inputs, valueInfo{name: name, elemType: elem, dims: []int64{0, 1}, dimParams: []string{batch, ""}})
}

// output declares a graph output; a dim of 0 is the batch.
func (b *builder) output(name string, elem int64, dims ...int64) {
	params := make([]string, len(dims))
	for i, d := range dims {
		if d == 0 {
			params[i] = batch
		}
	}
	b.g.outputs = append(b.g.outputs, valueInfo{name: name, elemType: elem, dims: dims, dimParams: params})
}

// features adds a net's preprocessing of the inputs, concatenated into
// one float [N, len(order)] tensor whose column j is feature order[j].
func (b *builder) features(net Net, missing []string) (string, []int) {
	var parts []string
	var order []int
	for _, in := range net.Inputs {
		if b.cat[in.Name] {
			p, offs := b.categorical(in, missing)
			if p != "" {
				parts, order = append(parts, p), append(order, offs...)
			}
			if in.Indicator >= 0 && len(missing) > 0 {
				parts = append(parts, b.node("LabelEncoder", mlDomain, "", []string{in.Name},
					attrStrings("keys_strings", missing), attrFloats("values_floats", ones(len(missing))), attrFloat("default_float", 0)))
				order = append(order, in.Indicator)
			}
			continue
		}
		nan := b.isNaN(in.Name)
		v := b.node("Where", "", "", []string{nan, b.scalarD(in.Fill), in.Name})
		if in.Mean != 0 {
			v = b.node("Sub", "", "", []string{v, b.scalarD(in.Mean)})
		}
		if in.Std != 1 {
			v = b.node("Div", "", "", []string{v, b.scalarD(in.Std)})
		}
		parts = append(parts, b.node("Cast", "", "", []string{v}, attrInt("to", tFloat)))
		order = append(order, in.Out)
		if in.Indicator >= 0 {
			parts = append(parts, b.node("Cast", "", "", []string{nan}, attrInt("to", tFloat)))
			order = append(order, in.Indicator)
		}
	}
	if len(parts) == 1 {
		return parts[0], order
	}
	return b.node("Concat", "", "", parts, attrInt("axis", 1)), order
}

// isNaN returns IsNaN of a numeric input, one node per column.
func (b *builder) isNaN(col string) string {
	if v, ok := b.nans[col]; ok {
		return v
	}
	v := b.node("IsNaN", "", "", []string{col})
	b.nans[col] = v
	return v
}

// categorical one-hot encodes a string input: LabelEncoder maps each level
// that has a feature to its position (missing-value tokens to the fill
// level's, anything else to -1), OneHotEncoder (zeros=1: -1 gives all
// zeros) makes [N,1,K] and Flatten [N,K]. It returns "" when no level has
// a feature.
func (b *builder) categorical(in Input, missing []string) (string, []int) {
	pos := make([]int64, len(in.Levels))
	var offs []int
	for i, o := range in.LevelOut {
		pos[i] = -1
		if o >= 0 {
			pos[i] = int64(len(offs))
			offs = append(offs, o)
		}
	}
	if len(offs) == 0 {
		return "", nil
	}
	var keys []string
	var vals []int64
	seen := map[string]bool{}
	add := func(k string, v int64) {
		if !seen[k] {
			seen[k] = true
			keys, vals = append(keys, k), append(vals, v)
		}
	}
	for _, m := range missing { // a missing token is missing, whatever the levels
		add(m, pos[in.FillLevel])
	}
	for i, l := range in.Levels {
		add(l, pos[i])
	}
	cats := make([]int64, len(offs))
	for i := range cats {
		cats[i] = int64(i)
	}
	idx := b.node("LabelEncoder", mlDomain, "", []string{in.Name},
		attrStrings("keys_strings", keys), attrInts("values_int64s", vals), attrInt("default_int64", -1))
	oh := b.node("OneHotEncoder", mlDomain, "", []string{idx}, attrInts("cats_int64s", cats), attrInt("zeros", 1))
	// onnx 1.12 infers no type for OneHotEncoder's output: declare it.
	b.g.values = append(b.g.values, valueInfo{name: oh, elemType: tFloat, dims: []int64{0, 1, int64(len(cats))}, dimParams: []string{batch, "", ""}})
	return b.node("Flatten", "", "", []string{oh}, attrInt("axis", 1)), offs
}

// net adds one network over the features x (column j is feature order[j])
// and returns its raw output.
func (b *builder) net(k int, net []Dense, x string, order []int) string {
	h := x
	for l, d := range net {
		in, w := d.In, d.W
		if l == 0 { // the first layer's rows follow the feature order
			in = len(order)
			w = make([]float32, 0, in*d.Out)
			for _, f := range order {
				w = append(w, d.W[f*d.Out:(f+1)*d.Out]...)
			}
		}
		hint := "net" + strconv.Itoa(k+1) + "_layer" + strconv.Itoa(l+1)
		wn := b.init(hint+"_W", floatTensor("", []int64{int64(in), int64(d.Out)}, w))
		bn := b.init(hint+"_B", floatTensor("", []int64{int64(d.Out)}, d.B))
		h = b.node("Gemm", "", "", []string{h, wn, bn})
		h = b.activation(d.Act, h)
	}
	return h
}

func (b *builder) activation(a nn.Activation, h string) string {
	switch a {
	case nn.Identity:
		return h
	case nn.LeakyReLU:
		return b.node("LeakyRelu", "", "", []string{h}, attrFloat("alpha", leakySlope))
	case nn.GELU:
		e := b.node("Erf", "", "", []string{b.node("Div", "", "", []string{h, b.scalarF(math.Sqrt2)})})
		e = b.node("Add", "", "", []string{e, b.scalarF(1)})
		return b.node("Mul", "", "", []string{b.node("Mul", "", "", []string{h, b.scalarF(0.5)}), e})
	}
	return b.node(actOps[a], "", "", []string{h})
}

// netHead turns a net's raw output into its probabilities (float
// [N, classes]) or its value in target units (double [N,1]).
func (b *builder) netHead(s *Spec, z string, net Net) string {
	switch s.Task {
	case data.Regression:
		v := b.node("Cast", "", "", []string{z}, attrInt("to", tDouble))
		v = b.node("Mul", "", "", []string{v, b.scalarD(net.TargetStd)})
		return b.node("Add", "", "", []string{v, b.scalarD(net.TargetMean)})
	case data.Binary:
		p := b.node("Sigmoid", "", "", []string{z})
		q := b.node("Sub", "", "", []string{b.scalarF(1), p})
		return b.node("Concat", "", "", []string{q, p}, attrInt("axis", 1))
	}
	return b.node("Softmax", "", "", []string{z}, attrInt("axis", 1))
}

// combine averages the nets' outputs by weight into the graph's outputs.
func (b *builder) combine(s *Spec, outs []string) {
	name := OutputProbabilities
	if s.Task == data.Regression {
		name = OutputValue
	}
	var total float64
	equal := true
	for _, n := range s.Nets {
		total += n.Weight
		equal = equal && n.Weight == s.Nets[0].Weight
	}
	switch {
	case len(outs) == 1:
		b.node("Identity", "", name, outs)
	case equal:
		b.node("Mean", "", name, outs)
	default:
		weighted := make([]string, len(outs))
		for k, o := range outs {
			w := b.scalarF(float32(s.Nets[k].Weight / total))
			if s.Task == data.Regression {
				w = b.scalarD(s.Nets[k].Weight / total)
			}
			weighted[k] = b.node("Mul", "", "", []string{o, w})
		}
		b.node("Sum", "", name, weighted)
	}
	if s.Task == data.Regression {
		b.output(OutputValue, tDouble, 0, 1)
		return
	}
	idx := b.node("ArgMax", "", "", []string{OutputProbabilities}, attrInt("axis", 1), attrInt("keepdims", 0))
	keys := make([]int64, len(s.Classes))
	for i := range keys {
		keys[i] = int64(i)
	}
	b.node("LabelEncoder", mlDomain, OutputLabel, []string{idx},
		attrInts("keys_int64s", keys), attrStrings("values_strings", s.Classes), attrString("default_string", ""))
	b.output(OutputLabel, tString, 0)
	b.output(OutputProbabilities, tFloat, 0, int64(len(s.Classes)))
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// dedupe drops repeated tokens (LabelEncoder keys must be unique).
func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
