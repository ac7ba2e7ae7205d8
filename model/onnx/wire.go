package onnx

import (
	"encoding/binary"
	"math"
)

// enc appends protocol-buffer wire format to a byte slice: the few
// encodings the ONNX messages below need (varint, length-delimited,
// packed fixed32/fixed64). Fields equal to their zero value are omitted,
// as proto2 optional fields that are unset.
type enc struct{ b []byte }

// Wire types.
const (
	wireVarint = 0
	wireI64    = 1
	wireLen    = 2
	wireI32    = 5
)

func (e *enc) tag(field, wire int) { e.varint(uint64(field)<<3 | uint64(wire)) }

func (e *enc) varint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// int writes a varint field (int32/int64/enum; negative values take ten
// bytes, as in protobuf).
func (e *enc) int(field int, v int64) {
	if v == 0 {
		return
	}
	e.tag(field, wireVarint)
	e.varint(uint64(v))
}

// bytes writes a length-delimited field, even when empty.
func (e *enc) bytes(field int, p []byte) {
	e.tag(field, wireLen)
	e.varint(uint64(len(p)))
	e.b = append(e.b, p...)
}

// str writes a string field, omitted when empty.
func (e *enc) str(field int, s string) {
	if s == "" {
		return
	}
	e.tag(field, wireLen)
	e.varint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// float32 writes a fixed32 field (always: 0 is a meaningful attribute).
func (e *enc) float32(field int, v float32) {
	e.tag(field, wireI32)
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(v))
}

// msg writes a nested message produced by fn.
func (e *enc) msg(field int, fn func(*enc)) {
	var m enc
	fn(&m)
	e.bytes(field, m.b)
}

// packedInts writes a packed repeated varint field (omitted when empty).
func (e *enc) packedInts(field int, vs []int64) {
	if len(vs) == 0 {
		return
	}
	var m enc
	for _, v := range vs {
		m.varint(uint64(v))
	}
	e.bytes(field, m.b)
}

// packedFloats writes a packed repeated fixed32 float field.
func (e *enc) packedFloats(field int, vs []float32) {
	if len(vs) == 0 {
		return
	}
	p := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		p = binary.LittleEndian.AppendUint32(p, math.Float32bits(v))
	}
	e.bytes(field, p)
}
