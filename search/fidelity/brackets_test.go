package fidelity

import (
	"reflect"
	"testing"
)

// TestHyperbandPaperTable checks the brackets for R = 81, eta = 3 against
// Table 1 of Li et al. (2018): (n_i, r_i) per bracket s.
func TestHyperbandPaperTable(t *testing.T) {
	want := []Bracket{
		{S: 4, N: []int{81, 27, 9, 3, 1}, R: []float64{1, 3, 9, 27, 81}},
		{S: 3, N: []int{34, 11, 3, 1}, R: []float64{3, 9, 27, 81}},
		{S: 2, N: []int{15, 5, 1}, R: []float64{9, 27, 81}},
		{S: 1, N: []int{8, 2}, R: []float64{27, 81}},
		{S: 0, N: []int{5}, R: []float64{81}},
	}
	if got := Hyperband(1, 81, 3); !reflect.DeepEqual(got, want) {
		t.Fatalf("Hyperband(1, 81, 3) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestHyperbandShapes(t *testing.T) {
	tests := []struct {
		name     string
		min, max float64
		eta      int
		smax     int
		first    []float64 // rungs of the most exploratory bracket
	}{
		{"unit rungs", 1, 27, 3, 3, []float64{1, 3, 9, 27}},
		{"scaled", 2, 54, 3, 3, []float64{2, 6, 18, 54}},
		{"not a power", 1, 100, 3, 4, []float64{1, 4, 11, 33, 100}},
		{"fractional", 0.5, 8, 2, 4, []float64{0.5, 1, 2, 4, 8}},
		{"one rung", 5, 5, 3, 0, []float64{5}},
		{"eta 4", 1, 64, 4, 3, []float64{1, 4, 16, 64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SMax(tc.min, tc.max, tc.eta); got != tc.smax {
				t.Fatalf("SMax = %d, want %d", got, tc.smax)
			}
			bs := Hyperband(tc.min, tc.max, tc.eta)
			if len(bs) != tc.smax+1 || !reflect.DeepEqual(bs[0].R, tc.first) {
				t.Fatalf("brackets %+v; want %d brackets, the first with rungs %v", bs, tc.smax+1, tc.first)
			}
			for _, b := range bs {
				if b.R[len(b.R)-1] != tc.max {
					t.Errorf("bracket s=%d ends at %v, not max %v", b.S, b.R[len(b.R)-1], tc.max)
				}
				for i := 1; i < len(b.N); i++ {
					if b.N[i] > b.N[i-1] || b.N[i] < 1 || b.R[i] <= b.R[i-1] {
						t.Errorf("bracket s=%d: rung %d has n %d r %v after n %d r %v", b.S, i, b.N[i], b.R[i], b.N[i-1], b.R[i-1])
					}
				}
			}
		})
	}
}

func TestRungs(t *testing.T) {
	tests := []struct {
		base, max float64
		eta       int
		want      []float64
	}{
		{1, 81, 3, []float64{1, 3, 9, 27, 81}},
		{3, 81, 3, []float64{3, 9, 27, 81}},
		{1, 100, 3, []float64{1, 3, 9, 27, 81, 100}},
		{1, 1, 3, []float64{1}},
		{0.25, 1, 2, []float64{0.25, 0.5, 1}},
	}
	for _, tc := range tests {
		if got := Rungs(tc.base, tc.max, tc.eta); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Rungs(%v, %v, %d) = %v, want %v", tc.base, tc.max, tc.eta, got, tc.want)
		}
	}
}
