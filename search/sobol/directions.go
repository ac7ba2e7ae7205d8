package sobol

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// The direction numbers are the first 1024 dimensions of S. Joe and F. Y.
// Kuo's table new-joe-kuo-6.21201 ("Constructing Sobol sequences with better
// two-dimensional projections", SIAM J. Sci. Comput. 30, 2635-2654, 2008;
// https://web.maths.unsw.edu.au/~fkuo/sobol/), in the table's own format:
// one line per dimension d >= 2 with the degree s of its primitive
// polynomial, the polynomial's inner coefficients a, and the initial
// direction numbers m_1..m_s. Dimension 1 is implicit (all m_k = 1).
// The lines were written from the copy of the same public table that SciPy
// ships (scipy/stats/_sobol_direction_numbers.npz) and are checked against
// SciPy's unscrambled Sobol points in the tests.
//
//go:embed new-joe-kuo-6.1024
var joeKuo string

// MaxDim is the number of dimensions (parameters) the table supports.
const MaxDim = 1024

// digits is the precision of the points: index i < 2^64, coordinates with 64 binary digits.
const digits = 64

// primitive is one dimension's line of the table.
type primitive struct {
	s int      // degree
	a uint64   // inner coefficients, highest first
	m []uint64 // initial direction numbers m_1..m_s
}

var table = sync.OnceValues(func() ([]primitive, error) { return parseTable(joeKuo) })

func parseTable(text string) ([]primitive, error) {
	out := []primitive{{s: 0}} // dimension 1: the van der Corput sequence
	for n, line := range strings.Split(strings.TrimSpace(text), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil, fmt.Errorf("sobol table line %d: %q has too few fields", n+2, line)
		}
		nums := make([]uint64, len(f))
		for i, w := range f {
			x, err := strconv.ParseUint(w, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("sobol table line %d: %w", n+2, err)
			}
			nums[i] = x
		}
		d, s := nums[0], int(nums[1])
		if d != uint64(len(out)+1) || s < 1 || len(nums) != 3+s {
			return nil, fmt.Errorf("sobol table line %d: want dimension %d with s initial numbers, got %q", n+2, len(out)+1, line)
		}
		out = append(out, primitive{s: s, a: nums[2], m: nums[3:]})
	}
	return out, nil
}

// directions returns the direction numbers V_1..V_64 of one dimension as
// binary fractions aligned to the top bit (V_k = m_k / 2^k), by Bratley and
// Fox's recurrence as in Joe and Kuo's reference code.
func (p primitive) directions() [digits]uint64 {
	var v [digits]uint64
	if p.s == 0 {
		for k := range v {
			v[k] = 1 << (digits - 1 - k)
		}
		return v
	}
	for k := 0; k < p.s && k < digits; k++ {
		v[k] = p.m[k] << (digits - 1 - k)
	}
	for k := p.s; k < digits; k++ {
		x := v[k-p.s] ^ v[k-p.s]>>p.s
		for j := 1; j < p.s; j++ {
			if p.a>>(p.s-1-j)&1 == 1 {
				x ^= v[k-j]
			}
		}
		v[k] = x
	}
	return v
}
