// Package sobol is quasi-random search over a scrambled Sobol sequence:
// points that fill the unit cube far more evenly than random ones, so a
// small budget covers the space better. Parameter j is dimension j of the
// sequence (up to MaxDim parameters); the cube point is decoded through the
// space's unit-cube transform, so the coordinates of inactive parameters
// are ignored and they stay absent.
//
// The sequence uses Joe and Kuo's direction numbers (new-joe-kuo-6.21201),
// points in Gray-code order, and, unless `scramble: false`, a random linear
// matrix scrambling plus digital shift drawn once from the algorithm seed.
// The sampler keeps no state: the i-th trial (i = the history's length,
// pending trials included) gets point i, so parallel slots never get the
// same point and a resumed study continues the sequence.
package sobol

import (
	"fmt"
	"math/bits"
	"math/rand/v2"

	"automl/search"
)

// Sampler hands out the points of one scrambled Sobol sequence. It is
// immutable after New and safe for concurrent use.
type Sampler struct {
	v     [][digits]uint64 // by dimension: the (scrambled) direction numbers
	shift []uint64         // by dimension: the digital shift
}

// New builds the sequence for dim dimensions, scrambled by seed when scrambled is set.
func New(dim int, seed uint64, scrambled bool) (*Sampler, error) {
	if dim > MaxDim {
		return nil, fmt.Errorf("sobol: %d parameters, the direction numbers cover at most %d", dim, MaxDim)
	}
	tab, err := table()
	if err != nil {
		return nil, err
	}
	s := &Sampler{v: make([][digits]uint64, dim), shift: make([]uint64, dim)}
	rng := rand.New(rand.NewPCG(seed, 0x736f626f6c736372)) // stream "sobolscr"
	for j := range s.v {
		s.v[j] = tab[j].directions()
		if scrambled {
			s.shift[j] = scramble(&s.v[j], rng)
		}
	}
	return s, nil
}

// Cube returns point i of the sequence in the unit cube, into u (len(u) <= the dimension).
func (s *Sampler) Cube(i uint64, u []float64) {
	g := i ^ i>>1 // Gray code: consecutive points differ by one direction number
	for j := range u {
		x := s.shift[j]
		for b := g; b != 0; b &= b - 1 {
			x ^= s.v[j][bits.TrailingZeros64(b)]
		}
		u[j] = float64(x>>11) * 0x1p-53
	}
}

// Sample returns point number h.Proposed() of the sequence (imported
// results take no number), decoded into the space.
func (s *Sampler) Sample(space *search.Space, h *search.History, _ *rand.Rand) (search.Point, error) {
	if space.Dim() != len(s.v) {
		return nil, fmt.Errorf("sobol: built for %d parameters, asked for a space of %d", len(s.v), space.Dim())
	}
	u := make([]float64, len(s.v))
	s.Cube(uint64(h.Proposed()), u)
	return space.Decode(u), nil
}

// scrambleOption reads the `scramble:` option (default true).
func scrambleOption(set search.Settings) bool {
	if v, ok := set.Options["scramble"]; ok {
		if b, ok := v.BoolVal(); ok {
			return b
		}
	}
	return true
}

func init() {
	search.Register(search.AlgorithmSpec{
		Name:     "sobol",
		Prefetch: true, MultiObjective: true,
		Doc: "scrambled Sobol quasi-random sequence (Joe-Kuo direction numbers, up to 1024 parameters)",
		Options: map[string]search.Option{
			"scramble": {Kind: search.OptBool, Doc: "randomise the sequence by the seed (linear matrix scrambling + digital shift); default true"},
		},
		Validate: func(s *search.Space, _ search.Settings) []error {
			if s.Dim() > MaxDim {
				return []error{fmt.Errorf("sobol supports at most %d parameters, the space has %d", MaxDim, s.Dim())}
			}
			return nil
		},
		New: func(s *search.Space, set search.Settings) (search.Searcher, error) {
			smp, err := New(s.Dim(), set.Seed, scrambleOption(set))
			if err != nil {
				return nil, err
			}
			return search.NewSamplerSearcher(smp), nil
		},
	})
}
