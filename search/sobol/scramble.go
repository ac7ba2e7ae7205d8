package sobol

import (
	"math/bits"
	"math/rand/v2"
)

// scramble applies a random linear matrix scrambling (Matoušek 1998) and a
// digital shift to one dimension's direction numbers: each V_k becomes L·V_k
// over GF(2) for a random lower-triangular L with a unit diagonal (which
// keeps the sequence's net properties), and every point is XORed with a
// random shift (so the sequence no longer starts at the origin). Digits
// run from the top bit down, so "lower triangular" means output digit r
// mixes input digits 1..r.
func scramble(v *[digits]uint64, rng *rand.Rand) (shift uint64) {
	var rows [digits]uint64 // rows[r]: the input digits that output digit r+1 mixes
	for r := range rows {
		pos := uint(digits - 1 - r)        // bit position of digit r+1
		above := ^(uint64(1)<<(pos+1) - 1) // the more significant digits
		rows[r] = rng.Uint64()&above | 1<<pos
	}
	for k := range v {
		var out uint64
		for r, row := range rows {
			out |= uint64(bits.OnesCount64(row&v[k])&1) << (digits - 1 - r)
		}
		v[k] = out
	}
	return rng.Uint64()
}
