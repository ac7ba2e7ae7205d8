package grid

import "testing"

func TestPermutationIsABijection(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 5, 16, 17, 64, 1000, 4097, 100_003} {
		for _, seed := range []uint64{0, 1, 99} {
			p := newPermutation(n, seed)
			seen := make([]bool, n)
			for i := uint64(0); i < n; i++ {
				x := p.at(i)
				if x >= n || seen[x] {
					t.Fatalf("n %d seed %d: at(%d) = %d is out of range or repeated", n, seed, i, x)
				}
				seen[x] = true
			}
		}
	}
}

func TestPermutationDependsOnSeed(t *testing.T) {
	a, b := newPermutation(1000, 1), newPermutation(1000, 2)
	same := 0
	for i := uint64(0); i < 1000; i++ {
		if a.at(i) == b.at(i) {
			same++
		}
	}
	// Two independent random permutations agree in about one place.
	if same > 10 {
		t.Fatalf("seeds 1 and 2 agree in %d of 1000 places", same)
	}
}
