package sobol

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestUnscrambledMatchesSciPy compares the plain sequence with SciPy's
// independent implementation over the same table, in dimensions 1-21 and
// 1001-1024 (testdata/scipy_unscrambled.json).
func TestUnscrambledMatchesSciPy(t *testing.T) {
	b, err := os.ReadFile("testdata/scipy_unscrambled.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Dims   []int       `json:"dims"`
		Points [][]float64 `json:"points"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	s, err := New(MaxDim, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	u := make([]float64, MaxDim)
	for i, want := range ref.Points {
		s.Cube(uint64(i), u)
		for k, d := range ref.Dims {
			if u[d] != want[k] {
				t.Fatalf("point %d, dimension %d: %v, SciPy %v", i, d+1, u[d], want[k])
			}
		}
	}
}

// TestNetProperty checks what scrambling must keep: the first 2^m points
// put exactly one point in each of 2^m equal slices of every axis, and the
// first two dimensions form a (0, m, 2)-net (one point in every
// elementary box of area 2^-m).
func TestNetProperty(t *testing.T) {
	const m = 8
	const n = 1 << m
	for _, scrambled := range []bool{false, true} {
		s, err := New(21, 5, scrambled)
		if err != nil {
			t.Fatal(err)
		}
		pts := make([][]float64, n)
		for i := range pts {
			pts[i] = make([]float64, 21)
			s.Cube(uint64(i), pts[i])
		}
		for d := 0; d < 21; d++ {
			seen := make([]bool, n)
			for _, p := range pts {
				c := int(p[d] * n)
				if seen[c] {
					t.Fatalf("scrambled %t, dimension %d: two points in slice %d", scrambled, d, c)
				}
				seen[c] = true
			}
		}
		for a := 0; a <= m; a++ { // boxes of 2^a x 2^(m-a) cells
			seen := map[[2]int]bool{}
			for _, p := range pts {
				box := [2]int{int(p[0] * float64(int(1)<<a)), int(p[1] * float64(int(1)<<(m-a)))}
				if seen[box] {
					t.Fatalf("scrambled %t: two points in elementary box %v of shape 2^-%d x 2^-%d", scrambled, box, a, m-a)
				}
				seen[box] = true
			}
		}
	}
}

func TestScramblingDependsOnSeed(t *testing.T) {
	a, _ := New(3, 1, true)
	b, _ := New(3, 2, true)
	c, _ := New(3, 1, true)
	ua, ub, uc := make([]float64, 3), make([]float64, 3), make([]float64, 3)
	differ := false
	for i := uint64(0); i < 16; i++ {
		a.Cube(i, ua)
		b.Cube(i, ub)
		c.Cube(i, uc)
		for d := range ua {
			if ua[d] != uc[d] {
				t.Fatalf("same seed, point %d differs", i)
			}
			differ = differ || ua[d] != ub[d]
		}
	}
	if !differ {
		t.Fatal("seeds 1 and 2 scramble alike")
	}
}

func TestParseTable(t *testing.T) {
	tab, err := table()
	if err != nil {
		t.Fatal(err)
	}
	if len(tab) != MaxDim {
		t.Fatalf("%d dimensions, want %d", len(tab), MaxDim)
	}
	bad := []struct{ name, text string }{
		{"short line", "d s a m_i\n2 1 0\n"},
		{"not a number", "d s a m_i\n2 1 0 x\n"},
		{"wrong dimension", "d s a m_i\n3 1 0 1\n"},
		{"m count", "d s a m_i\n2 2 0 1\n"},
	}
	for _, tc := range bad {
		if _, err := parseTable(tc.text); err == nil || !strings.Contains(err.Error(), "sobol table line 2") {
			t.Errorf("%s: error %v, want one naming line 2", tc.name, err)
		}
	}
}

func TestTooManyDimensions(t *testing.T) {
	if _, err := New(MaxDim+1, 0, true); err == nil {
		t.Fatal("no error for more dimensions than the table has")
	}
}
