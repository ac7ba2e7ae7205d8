package model

import (
	"automl/plugins/mlp/kernels"
	"automl/plugins/mlp/nn"
)

// forward runs fold f's layers over rows x (rows x In, row-major) and
// returns the output, row-major (owned by the scratch). The batch stays in
// the kernels' panel layout from layer to layer (kernels.Packed); a layer
// of one output takes it row-major, as a dot product per row, which is how
// a GEMM of one column runs.
func forward(s *scratch, layers []Layer, f *compiledFold, x []float32, rows int) []float32 {
	cur, width, panels := x, layers[0].In, false
	bufs, next := [2]*[]float32{&s.a, &s.b}, 0
	for li, l := range layers {
		buf := bufs[next]
		next ^= 1
		act := f.acts[li]
		pk := f.packed[li]
		if pk == nil {
			if panels {
				s.z = kernels.UnpackRows(rows, width, cur, s.z)
				cur, panels = s.z, false
			}
			*buf = grow(*buf, rows)
			y := *buf
			for r := range y {
				y[r] = l.B[0]
				y[r] += kernels.Dot(cur[r*width:(r+1)*width], l.W)
			}
			if act != nn.Identity {
				nn.Apply(act, y, y)
			}
			cur, width = y, 1
			continue
		}
		if !panels {
			*buf = kernels.PackRows(rows, width, cur, *buf)
			cur, panels = *buf, true
			buf = bufs[next]
			next ^= 1
		}
		var fn func([]float32)
		if act != nn.Identity && act != nn.ReLU {
			fn = func(v []float32) { nn.Apply(act, v, v) }
		}
		*buf = pk.Forward(rows, cur, *buf, act == nn.ReLU, fn)
		cur, width = *buf, l.Out
	}
	if panels {
		s.z = kernels.UnpackRows(rows, width, cur, s.z)
		cur = s.z
	}
	return cur
}
