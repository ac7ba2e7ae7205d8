package onnx

import (
	"encoding/binary"
	"math"
)

// The ONNX messages this package writes, a subset of onnx/onnx.proto
// (ONNX 1.12, IR version 8); the comments give each field's number in
// that file. Only the fields used here are declared.

// Tensor element types (TensorProto.DataType).
const (
	tFloat  = 1
	tInt64  = 7
	tString = 8
	tDouble = 11
)

// Attribute types (AttributeProto.AttributeType).
const (
	aFloat   = 1
	aInt     = 2
	aString  = 3
	aFloats  = 6
	aInts    = 7
	aStrings = 8
)

// modelProto is ModelProto.
type modelProto struct {
	irVersion       int64       // 1
	opsets          []opsetID   // 8
	producerName    string      // 2
	producerVersion string      // 3
	doc             string      // 6
	graph           *graphProto // 7
	metadata        [][2]string // 14 (StringStringEntryProto: key 1, value 2)
}

// opsetID is OperatorSetIdProto.
type opsetID struct {
	domain  string // 1
	version int64  // 2
}

// graphProto is GraphProto.
type graphProto struct {
	nodes   []nodeProto   // 1
	name    string        // 2
	inits   []tensorProto // 5
	doc     string        // 10
	inputs  []valueInfo   // 11
	outputs []valueInfo   // 12
	values  []valueInfo   // 13 (value_info: types of inner values)
}

// nodeProto is NodeProto.
type nodeProto struct {
	inputs  []string    // 1
	outputs []string    // 2
	name    string      // 3
	op      string      // 4
	attrs   []attribute // 5
	domain  string      // 7
}

// tensorProto is TensorProto; numbers travel as raw_data (little-endian),
// strings as string_data.
type tensorProto struct {
	dims     []int64  // 1
	dataType int64    // 2
	strings  []string // 6
	name     string   // 8
	raw      []byte   // 9
}

// valueInfo is ValueInfoProto with a tensor type: elem_type and a shape
// whose dimensions are sizes (> 0) or named (dimParams[i] != "").
type valueInfo struct {
	name      string // 1
	elemType  int64  // type (2) . tensor_type (1) . elem_type (1)
	dims      []int64
	dimParams []string // type . tensor_type . shape (2) . dim (1): dim_value 1, dim_param 2
}

// attribute is AttributeProto.
type attribute struct {
	name    string    // 1
	typ     int64     // 20
	f       float32   // 2
	i       int64     // 3
	s       string    // 4
	floats  []float32 // 7
	ints    []int64   // 8
	strings []string  // 9
}

func (m *modelProto) marshal() []byte {
	var e enc
	e.int(1, m.irVersion)
	e.str(2, m.producerName)
	e.str(3, m.producerVersion)
	e.str(6, m.doc)
	e.msg(7, m.graph.encode)
	for _, o := range m.opsets {
		e.msg(8, func(e *enc) {
			e.str(1, o.domain)
			e.int(2, o.version)
		})
	}
	for _, kv := range m.metadata {
		e.msg(14, func(e *enc) {
			e.str(1, kv[0])
			e.str(2, kv[1])
		})
	}
	return e.b
}

func (g *graphProto) encode(e *enc) {
	for i := range g.nodes {
		e.msg(1, g.nodes[i].encode)
	}
	e.str(2, g.name)
	for i := range g.inits {
		e.msg(5, g.inits[i].encode)
	}
	e.str(10, g.doc)
	for i := range g.inputs {
		e.msg(11, g.inputs[i].encode)
	}
	for i := range g.outputs {
		e.msg(12, g.outputs[i].encode)
	}
	for i := range g.values {
		e.msg(13, g.values[i].encode)
	}
}

func (n *nodeProto) encode(e *enc) {
	for _, s := range n.inputs {
		e.bytes(1, []byte(s))
	}
	for _, s := range n.outputs {
		e.bytes(2, []byte(s))
	}
	e.str(3, n.name)
	e.str(4, n.op)
	for i := range n.attrs {
		e.msg(5, n.attrs[i].encode)
	}
	e.str(7, n.domain)
}

func (t *tensorProto) encode(e *enc) {
	e.packedInts(1, t.dims)
	e.int(2, t.dataType)
	for _, s := range t.strings {
		e.bytes(6, []byte(s))
	}
	e.str(8, t.name)
	if t.raw != nil {
		e.bytes(9, t.raw)
	}
}

func (v *valueInfo) encode(e *enc) {
	e.str(1, v.name)
	e.msg(2, func(e *enc) { // TypeProto
		e.msg(1, func(e *enc) { // TypeProto.Tensor
			e.int(1, v.elemType)
			e.msg(2, func(e *enc) { // TensorShapeProto
				for i, d := range v.dims {
					e.msg(1, func(e *enc) {
						if p := v.dimParams[i]; p != "" {
							e.str(2, p)
						} else {
							e.int(1, d)
						}
					})
				}
			})
		})
	})
}

func (a *attribute) encode(e *enc) {
	e.str(1, a.name)
	switch a.typ {
	case aFloat:
		e.float32(2, a.f)
	case aInt:
		e.tag(3, wireVarint) // written even when 0: keepdims=0 is a choice
		e.varint(uint64(a.i))
	case aString:
		e.bytes(4, []byte(a.s))
	case aFloats:
		e.packedFloats(7, a.floats)
	case aInts:
		e.packedInts(8, a.ints)
	case aStrings:
		for _, s := range a.strings {
			e.bytes(9, []byte(s))
		}
	}
	e.int(20, a.typ)
}

// Attribute constructors.
func attrInt(name string, v int64) attribute { return attribute{name: name, typ: aInt, i: v} }
func attrFloat(name string, v float32) attribute {
	return attribute{name: name, typ: aFloat, f: v}
}
func attrString(name, v string) attribute { return attribute{name: name, typ: aString, s: v} }
func attrInts(name string, v []int64) attribute {
	return attribute{name: name, typ: aInts, ints: v}
}
func attrFloats(name string, v []float32) attribute {
	return attribute{name: name, typ: aFloats, floats: v}
}
func attrStrings(name string, v []string) attribute {
	return attribute{name: name, typ: aStrings, strings: v}
}

// floatTensor is a float tensor of the given shape.
func floatTensor(name string, dims []int64, v []float32) tensorProto {
	raw := make([]byte, 0, 4*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	return tensorProto{name: name, dims: dims, dataType: tFloat, raw: raw}
}

// doubleTensor is a double tensor of the given shape.
func doubleTensor(name string, dims []int64, v []float64) tensorProto {
	raw := make([]byte, 0, 8*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
	}
	return tensorProto{name: name, dims: dims, dataType: tDouble, raw: raw}
}
