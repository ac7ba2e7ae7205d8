package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"automl/plugins/mlp/data"
	"automl/plugins/mlp/nn"
)

// field is one decoded protocol-buffer field.
type field struct {
	num, wire int
	v         uint64 // varint, fixed32 or fixed64 value
	b         []byte // length-delimited bytes
}

// decode splits a message into its fields: a tiny decoder, independent of
// the encoder, for checking what it wrote.
func decode(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad key at %d bytes from the end", len(b))
		}
		b = b[n:]
		f := field{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case wireVarint:
			f.v, n = binary.Uvarint(b)
			if n <= 0 {
				return nil, fmt.Errorf("field %d: bad varint", f.num)
			}
			b = b[n:]
		case wireI64:
			if len(b) < 8 {
				return nil, fmt.Errorf("field %d: short fixed64", f.num)
			}
			f.v, b = binary.LittleEndian.Uint64(b), b[8:]
		case wireI32:
			if len(b) < 4 {
				return nil, fmt.Errorf("field %d: short fixed32", f.num)
			}
			f.v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case wireLen:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, fmt.Errorf("field %d: bad length", f.num)
			}
			f.b, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return nil, fmt.Errorf("field %d: wire type %d", f.num, f.wire)
		}
		out = append(out, f)
	}
	return out, nil
}

// get returns the fields numbered num.
func get(fs []field, num int) []field {
	var out []field
	for _, f := range fs {
		if f.num == num {
			out = append(out, f)
		}
	}
	return out
}

func mustDecode(t *testing.T, b []byte) []field {
	t.Helper()
	fs, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestWireEncodings(t *testing.T) {
	var e enc
	e.int(1, 300)
	e.int(2, -1)
	e.int(3, 0) // omitted
	e.str(4, "hé")
	e.packedFloats(5, []float32{1.5, -2})
	e.packedInts(6, []int64{0, 1, -1, 1 << 40})
	e.float32(7, 0)
	if !slices.Equal(e.b[:3], []byte{0x08, 0xac, 0x02}) {
		t.Errorf("field 1 = 300 encodes as % x, want 08 ac 02", e.b[:3])
	}
	fs := mustDecode(t, e.b)
	if len(fs) != 6 {
		t.Fatalf("%d fields, want 6 (a zero int is omitted): %+v", len(fs), fs)
	}
	if fs[0].v != 300 || int64(fs[1].v) != -1 || len(e.b) != 3+11+5+10+(2+1+1+10+6)+5 {
		t.Errorf("ints %d %d, %d bytes", fs[0].v, int64(fs[1].v), len(e.b))
	}
	if string(fs[2].b) != "hé" {
		t.Errorf("string %q", fs[2].b)
	}
	var floats []float32
	for p := fs[3].b; len(p) > 0; p = p[4:] {
		floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(p)))
	}
	if !slices.Equal(floats, []float32{1.5, -2}) {
		t.Errorf("packed floats %v", floats)
	}
	var ints []int64
	for p := fs[4].b; len(p) > 0; {
		v, n := binary.Uvarint(p)
		ints, p = append(ints, int64(v)), p[n:]
	}
	if !slices.Equal(ints, []int64{0, 1, -1, 1 << 40}) {
		t.Errorf("packed ints %v", ints)
	}
	if fs[5].wire != wireI32 || fs[5].v != 0 {
		t.Errorf("float 0: %+v", fs[5])
	}
}

// TestModelLayout decodes a written model without onnx: the header fields,
// the opsets, an attribute of value 0 still present, and every node's
// inputs defined before it (graph inputs, initializers, earlier outputs),
// as ONNX requires of a graph's node order.
func TestModelLayout(t *testing.T) {
	s := randomSpec(rand.New(rand.NewPCG(3, 4)), data.Multiclass, nn.GELU, 2, false)
	b, err := MarshalSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	m := mustDecode(t, b)
	if ir := get(m, 1); len(ir) != 1 || ir[0].v != IRVersion {
		t.Errorf("ir_version %+v", ir)
	}
	opsets := map[string]uint64{}
	for _, o := range get(m, 8) {
		of := mustDecode(t, o.b)
		dom := ""
		if d := get(of, 1); len(d) == 1 {
			dom = string(d[0].b)
		}
		opsets[dom] = get(of, 2)[0].v
	}
	if opsets[""] != OpsetVersion || opsets[mlDomain] != MLOpsetVersion || len(opsets) != 2 {
		t.Errorf("opsets %v", opsets)
	}
	g := mustDecode(t, get(m, 7)[0].b)
	defined := map[string]bool{}
	for _, in := range get(g, 11) {
		defined[string(get(mustDecode(t, in.b), 1)[0].b)] = true
	}
	if len(defined) != len(s.Columns) {
		t.Errorf("%d graph inputs, want %d", len(defined), len(s.Columns))
	}
	for _, init := range get(g, 5) {
		defined[string(get(mustDecode(t, init.b), 8)[0].b)] = true
	}
	keepdims := false
	for _, nf := range get(g, 1) {
		n := mustDecode(t, nf.b)
		op := string(get(n, 4)[0].b)
		for _, in := range get(n, 1) {
			if !defined[string(in.b)] {
				t.Fatalf("%s reads %q before it is defined", op, in.b)
			}
		}
		for _, out := range get(n, 2) {
			defined[string(out.b)] = true
		}
		for _, af := range get(n, 5) {
			a := mustDecode(t, af.b)
			if string(get(a, 1)[0].b) == "keepdims" {
				keepdims = len(get(a, 3)) == 1 && get(a, 3)[0].v == 0 && get(a, 20)[0].v == aInt
			}
		}
	}
	for _, o := range []string{OutputLabel, OutputProbabilities} {
		if !defined[o] {
			t.Errorf("no node writes the output %s", o)
		}
	}
	if !keepdims {
		t.Error("ArgMax's keepdims=0 is not written as an int attribute of value 0")
	}
}

// TestSpecErrors: a spec that cannot make a sound graph is an error that
// says what is wrong, never a panic or a broken file.
func TestSpecErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		name  string
		edit  func(s *Spec)
		wants string
	}{
		{"no nets", func(s *Spec) { s.Nets = nil }, "no network"},
		{"no inputs", func(s *Spec) { s.Columns = nil }, "no input columns"},
		{"task", func(s *Spec) { s.Task = data.Auto }, "task auto"},
		{"classes", func(s *Spec) { s.Classes = s.Classes[:1] }, "2 classes, got 1"},
		{"layer shape", func(s *Spec) { s.Nets[0].Layers[1].W = s.Nets[0].Layers[1].W[1:] }, "net 1: layer 2"},
		{"outputs", func(s *Spec) { s.Nets[1].Layers = s.Nets[1].Layers[:2] }, "net 2: 4 outputs"},
		{"activation", func(s *Spec) { s.Nets[0].Layers[0].Act = 0 }, "activation"},
		{"weight", func(s *Spec) { s.Nets[1].Weight = 0 }, "net 2: weight 0"},
		{"duplicate feature", func(s *Spec) { s.Nets[0].Inputs[1].Out = s.Nets[0].Inputs[0].Out }, "both write feature"},
		{"feature range", func(s *Spec) { s.Nets[1].Inputs[2].LevelOut[1] = 99 }, "beyond the network's 9 inputs"},
		{"no features", func(s *Spec) { s.Nets[1].Inputs = nil }, "net 2: no input feature"},
		{"unknown column", func(s *Spec) { s.Nets[0].Inputs[1].Name = "nope" }, `input "nope" is not a column`},
		{"duplicate column", func(s *Spec) { s.Columns[1].Name = s.Columns[0].Name }, "named twice"},
		{"zero std", func(s *Spec) { s.Nets[0].Inputs[0].Std = 0 }, `input "age (years)"`},
		{"fill level", func(s *Spec) { s.Nets[0].Inputs[3].FillLevel = 2 }, "fill level 2"},
		{"output name", func(s *Spec) {
			s.Columns[1].Name = OutputLabel
			s.Nets[0].Inputs[1].Name = OutputLabel
			s.Nets[1].Inputs[1].Name = OutputLabel
		}, `input column "label" has the name of an output`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := randomSpec(rng, data.Binary, nn.ReLU, 2, false)
			c.edit(s)
			_, err := MarshalSpec(s)
			if err == nil || !strings.Contains(err.Error(), c.wants) {
				t.Fatalf("err = %v, want one containing %q", err, c.wants)
			}
		})
	}
}
