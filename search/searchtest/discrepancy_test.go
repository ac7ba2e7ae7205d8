package searchtest

import (
	"math"
	"testing"
)

func TestDiscrepancyMatchesSciPy(t *testing.T) {
	// 16 points x_ik = frac((i+1) sqrt(p_k)), p = 2, 3, 5. Reference values
	// from scipy.stats.qmc.discrepancy (SciPy 1.10.1), an independent
	// implementation: method="CD" returns the squared centred discrepancy,
	// method="L2-star" its square root.
	primes := []float64{2, 3, 5}
	x := make([][]float64, 16)
	for i := range x {
		for _, p := range primes {
			v := float64(i+1) * math.Sqrt(p)
			x[i] = append(x[i], v-math.Floor(v))
		}
	}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"centred L2", CenteredL2(x), 0.009976563477549272},
		{"L2-star", math.Sqrt(StarL2(x)), 0.04067552331358757},
		{"centred L2 of the centre", CenteredL2([][]float64{{0.5}}), 1.0 / 12},
		{"L2-star of the centre", StarL2([][]float64{{0.5}}), 1.0 / 12},
	}
	for _, tc := range tests {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s: %.17g, want %.17g", tc.name, tc.got, tc.want)
		}
	}
	if !math.IsNaN(CenteredL2(nil)) || !math.IsNaN(StarL2(nil)) {
		t.Error("no points should give NaN")
	}
}
