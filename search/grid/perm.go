package grid

import (
	"math/bits"
	"math/rand/v2"
)

// permutation is a seeded bijection of [0, n), computed per index so the
// shuffled grid is never materialised: a balanced four-round Feistel network
// over the smallest power of four >= n, cycle-walked back into [0, n) (the
// walk follows the index's cycle until it lands in range; since the domain
// is under 4n, that takes under four rounds on average). Unlike an affine
// map i -> a*i+b mod n, it leaves no lattice structure between consecutive
// trials.
type permutation struct {
	n    uint64
	half uint // bits in each half of the Feistel block
	keys [4]uint64
}

func newPermutation(n, seed uint64) permutation {
	p := permutation{n: n}
	w := uint(bits.Len64(n - 1)) // bits to hold n-1 (0 when n <= 1)
	w += w & 1                   // balanced halves need an even width
	p.half = max(w/2, 1)
	rng := rand.New(rand.NewPCG(seed, 0x6772696473687566)) // stream "gridshuf"
	for i := range p.keys {
		p.keys[i] = rng.Uint64()
	}
	return p
}

// at returns the position in canonical order of the i-th grid point handed out (i < n).
func (p permutation) at(i uint64) uint64 {
	x := i
	for {
		x = p.feistel(x)
		if x < p.n {
			return x
		}
	}
}

func (p permutation) feistel(x uint64) uint64 {
	mask := uint64(1)<<p.half - 1
	l, r := x>>p.half, x&mask
	for _, k := range p.keys {
		l, r = r, (l^mix(r^k))&mask
	}
	return l<<p.half | r
}

// mix is the splitmix64 finaliser: a cheap, well-spread round function.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
