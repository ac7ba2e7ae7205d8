package kernels

import "fmt"

// Inference runs a network's dense layers on column panels: the rows of
// a batch go to the micro-kernel's B side, nr rows to a panel, and each
// layer's output units to its A side, whose weights are packed once
// (Pack). A layer's output tile, stored with row stride nr, is then
// already in the panel layout the next layer reads: nothing is packed
// between layers, and a narrow layer (38 units, 7 classes) pads only to a
// multiple of mr. Each output is the bias plus the products in the order
// of the inputs, one fused multiply-add each, as Gemm computes
// y = b + x·W: the results are the same bit for bit.
//
// The panel layout of a rows x width batch: panel q (rows q*nr to
// q*nr+nr-1, zero-padded) at q*stride with stride = roundUp(width, mr)*nr,
// holding input p of row q*nr+j at p*nr+j.

// Packed is a dense layer y = act(x·W + b) with W (In x Out row-major)
// packed for Forward. It is immutable and safe for concurrent use.
type Packed struct {
	in, out int
	k       microKernel
	w       []float32 // mr-row panels of Wᵀ over all In: panel u at u*in*mr, w[u*in*mr+p*mr+i] = W[p][u*mr+i]
	b       []float32 // the bias, zero-padded to a multiple of mr
}

// Pack packs a layer of `in` inputs and `out` outputs, w In x Out
// row-major and b of length out, for the micro-kernel in use.
func Pack(in, out int, w, b []float32) *Packed {
	if in < 1 || out < 1 || len(w) != in*out || len(b) != out {
		panic(fmt.Sprintf("kernels: pack %d x %d with %d weights and %d biases", in, out, len(w), len(b)))
	}
	outPad := roundUp(out, mr)
	l := &Packed{in: in, out: out, k: micro, w: make([]float32, outPad*in), b: make([]float32, outPad)}
	copy(l.b, b)
	packA(true, 0, out, 0, in, w, out, l.w)
	return l
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// panelStride is the length of one panel of a batch `width` wide.
func panelStride(width int) int { return roundUp(width, mr) * nr }

// PackRows lays rows x (rows x width, row-major) out in panels in dst,
// grown as needed, and returns it.
func PackRows(rows, width int, x, dst []float32) []float32 {
	st := panelStride(width)
	panels := (rows + nr - 1) / nr
	dst = grow(dst, panels*st)
	x = x[:rows*width]
	for q := 0; q < panels; q++ {
		pan := dst[q*st : (q+1)*st]
		h := min(nr, rows-q*nr)
		for j := 0; j < h; j++ {
			src := x[(q*nr+j)*width : (q*nr+j+1)*width]
			for p, v := range src {
				pan[p*nr+j] = v
			}
		}
		if h < nr {
			for p := 0; p < width; p++ {
				clear(pan[p*nr+h : p*nr+nr])
			}
		}
	}
	return dst
}

// UnpackRows copies the first `rows` rows of a batch `width` wide from
// panels src into dst (rows x width, row-major), grown as needed, and
// returns it.
func UnpackRows(rows, width int, src, dst []float32) []float32 {
	st := panelStride(width)
	dst = grow(dst, rows*width)
	for r := 0; r < rows; r++ {
		pan := src[(r/nr)*st:]
		j := r % nr
		out := dst[r*width : (r+1)*width]
		for p := range out {
			out[p] = pan[p*nr+j]
		}
	}
	return dst
}

// Forward sets y = act(x·W + b) for a batch of `rows` rows, x and y in
// panels (y grown as needed and returned). With relu, act is max(0, ·)
// as Relu computes it; otherwise act, when not nil, is applied in place
// to each output tile (mr x nr values, padding included) while it is in
// cache.
func (l *Packed) Forward(rows int, x, y []float32, relu bool, act func([]float32)) []float32 {
	if l.k.name != micro.name {
		panic("kernels: a layer packed for the " + l.k.name + " kernel run with " + micro.name)
	}
	panels := (rows + nr - 1) / nr
	sx, sy := panelStride(l.in), panelStride(l.out)
	x = x[:panels*sx]
	y = grow(y, panels*sy)
	tile := mr * nr
	for q := 0; q < panels; q++ {
		xp := x[q*sx : q*sx+l.in*nr]
		yp := y[q*sy : (q+1)*sy]
		for u := 0; u < len(l.b); u += mr {
			c := yp[u*nr : u*nr+tile]
			if l.k.infer != nil {
				l.k.infer(l.in, l.w[u*l.in:(u+mr)*l.in], xp, c, l.b[u:u+mr], relu)
				if !relu && act != nil {
					act(c)
				}
				continue
			}
			for i := 0; i < mr; i++ {
				bi := l.b[u+i]
				row := c[i*nr : (i+1)*nr]
				for j := range row {
					row[j] = bi
				}
			}
			l.k.run(l.in, l.w[u*l.in:(u+mr)*l.in], xp, c, nr)
			if relu {
				Relu(c, c)
			} else if act != nil {
				act(c)
			}
		}
	}
	return y
}
