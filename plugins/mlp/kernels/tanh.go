package kernels

import "math"

// Tanh sets y = float32(math.Tanh(float64(x))) elementwise, bit for bit,
// at a fraction of math.Tanh's cost (the activation of the mlp trainer
// and of its models' predictions, where it dominated a tanh network's
// time). Each value is approximated in float64,
//
//	tanh(|x|) = -m / (2 + m),  m = e^(-2|x|) - 1,
//
// to a relative error below 1e-13, and kept only when every float64
// within a relative 1e-12 of it rounds to the same float32: math.Tanh's
// own result, within a few float64 ulps of the true value, is among them
// and would round alike. Otherwise (a few inputs in a million) math.Tanh
// decides. There are no data-dependent branches on the way: a hidden
// unit's input falls on either side of any threshold at random, and a
// mispredicted branch costs more than the arithmetic. Inputs beyond 9.5
// are taken as 9.5, whose float32 tanh is 1 as theirs is; NaN stays NaN.
// With the assembly kernels, eight values at a time (AVX2/FMA or
// AVX-512).
func Tanh(x, y []float32) {
	y = y[:len(x)]
	i := 0
	for useAsmVec {
		n := (len(x) - i) &^ 3
		if n == 0 {
			break
		}
		var done int
		if n8 := n &^ 7; useAsm512 && n8 > 0 {
			done = tanhVec512(n8, &x[i], &y[i])
			if done == n8 && n8 < n { // four more
				done += tanhVec(n-n8, &x[i+n8], &y[i+n8])
			}
		} else {
			done = tanhVec(n, &x[i], &y[i])
		}
		i += done
		if done < n { // a group the vector window refused: in Go
			tanhGo(x[i:i+4], y[i:i+4])
			i += 4
		}
	}
	tanhGo(x[i:], y[i:])
}

// tanhGo is Tanh in Go: m from a 32-entry table of 2^(j/32) and a
// degree-6 polynomial.
func tanhGo(x, y []float32) {
	y = y[:len(x)]
	const (
		inv           = 32 / math.Ln2
		ln2Hi         = 6.93147180369123816490e-01 / 32 // ln2/32 in two parts (fdlibm's split)
		ln2Lo         = 1.90821492927058770002e-10 / 32
		c2, c3, c4    = 1.0 / 2, 1.0 / 6, 1.0 / 24
		c5, c6        = 1.0 / 120, 1.0 / 720
		lower, higher = 1 - tanhWindow, 1 + tanhWindow
	)
	for i, v := range x {
		f := float64(v)
		a := math.Abs(f)
		if a > tanhOne {
			a = tanhOne
		}
		// e^u, u = -2a = (32q + j)·ln2/32 + r, |r| <= ln2/64:
		// e^u = 2^q · 2^(j/32) · e^r, and e^r - 1 = r·(1 + r/2 + ... + r^5/720).
		u := -2 * a
		k := int(u*inv - 0.5) // nearest: u <= 0
		r := (u - float64(k)*ln2Hi) - float64(k)*ln2Lo
		er := r * (1 + r*(c2+r*(c3+r*(c4+r*(c5+r*c6)))))
		s := math.Float64frombits(uint64((k>>5)+1023)<<52) * exp2Table[k&31]
		m := (s - 1) + s*er // exact at k = 0, where it matters: s = 1
		t := math.Copysign(-m/(2+m), f)
		lo, hi := float32(t*lower), float32(t*higher)
		if lo != hi { // or NaN
			lo = float32(math.Tanh(f))
		}
		y[i] = lo
	}
}

const (
	tanhOne = 9.5 // float32(math.Tanh(x)) is 1 from about 9.01 on
	// tanhWindow is the relative distance within which every float64
	// must round to the approximation's float32.
	tanhWindow = 1e-12
)

// exp2Table[j] is 2^(j/32).
var exp2Table = func() (t [32]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 32)
	}
	return t
}()
