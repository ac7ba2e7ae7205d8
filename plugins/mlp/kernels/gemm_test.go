package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// naive computes op(A)·op(B) (+ C0) in float64.
func naive(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c0 []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			if c0 != nil {
				s = float64(c0[i*ldc+j])
			}
			for p := 0; p < k; p++ {
				av := a[i*lda+p]
				if tA {
					av = a[p*lda+i]
				}
				bv := b[p*ldb+j]
				if tB {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
			}
			out[i*n+j] = s
		}
	}
	return out
}

// withKernel switches the micro-kernel (and the vector loops) for a test.
func withKernel(t testing.TB, k microKernel) {
	old := micro
	setKernel(k)
	t.Cleanup(func() { setKernel(old) })
}

var goKernel = microKernel{name: "go", mr: 6, nr: 16, run: microGo}

// kernelsToTest are the portable kernel and every assembly kernel the CPU runs.
func kernelsToTest() []microKernel {
	return append([]microKernel{goKernel}, asmKernels()...)
}

func TestGemmMatchesNaive(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {6, 16, 8}, {7, 17, 3}, {32, 64, 20}, {5, 1, 300}, {100, 33, 257}, {13, 40, 0}, {97, 130, 520}}
	for _, kern := range kernelsToTest() {
		withKernel(t, kern)
		name := kern.name
		for _, sh := range shapes {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, acc := range []bool{false, true} {
						m, n, k := sh[0], sh[1], sh[2]
						t.Run(fmt.Sprintf("%s/%dx%dx%d/tA=%v/tB=%v/acc=%v", name, m, n, k, tA, tB, acc), func(t *testing.T) {
							rng := rand.New(rand.NewPCG(uint64(m*n), uint64(k+1)))
							lda, ldb, ldc := k+1, n+2, n+3
							if tA {
								lda = m + 1
							}
							if tB {
								ldb = k + 2
							}
							a := randSlice(rng, max(m, k)*max(lda, 1)+1)
							b := randSlice(rng, max(n, k)*max(ldb, 1)+1)
							c := randSlice(rng, m*ldc)
							c0 := append([]float32(nil), c...)
							var ref []float64
							if acc {
								ref = naive(tA, tB, m, n, k, a, lda, b, ldb, c0, ldc)
							} else {
								ref = naive(tA, tB, m, n, k, a, lda, b, ldb, nil, ldc)
							}
							NewExec(2).Gemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc, acc)
							for i := 0; i < m; i++ {
								for j := 0; j < ldc; j++ {
									got := c[i*ldc+j]
									if j >= n {
										if got != c0[i*ldc+j] {
											t.Fatalf("wrote outside C at (%d,%d)", i, j)
										}
										continue
									}
									want := ref[i*n+j]
									if math.Abs(float64(got)-want) > 1e-4*(1+math.Sqrt(float64(k))) {
										t.Fatalf("C[%d,%d] = %v, want %v", i, j, got, want)
									}
								}
							}
						})
					}
				}
			}
		}
	}
}

func TestGemmBitIdenticalAcrossThreads(t *testing.T) {
	for _, kern := range kernelsToTest() {
		withKernel(t, kern)
		name := kern.name
		for _, sh := range [][3]int{{256, 256, 256}, {257, 65, 300}, {32, 64, 64}, {20, 256, 256}} {
			m, n, k := sh[0], sh[1], sh[2]
			rng := rand.New(rand.NewPCG(1, 2))
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			var first []float32
			for _, th := range []int{1, 2, 3, 4, 7} {
				c := make([]float32, m*n)
				NewExec(th).Gemm(false, false, m, n, k, a, k, b, n, c, n, false)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s %v: threads=%d differs from threads=1 at %d: %v vs %v", name, sh, th, i, c[i], first[i])
					}
				}
			}
		}
	}
}

func TestForCoversRangeOnGrain(t *testing.T) {
	for _, tc := range []struct{ threads, n, grain int }{{1, 10, 1}, {3, 10, 1}, {4, 100, 6}, {8, 5, 2}, {2, 0, 1}} {
		seen := make([]int, tc.n)
		var bounds [][2]int
		ch := make(chan [2]int, 64)
		For(tc.threads, tc.n, tc.grain, func(lo, hi int) {
			ch <- [2]int{lo, hi}
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		close(ch)
		for b := range ch {
			bounds = append(bounds, b)
			if b[0]%tc.grain != 0 {
				t.Errorf("%+v: chunk starts at %d, not a multiple of %d", tc, b[0], tc.grain)
			}
		}
		for i, s := range seen {
			if s != 1 {
				t.Fatalf("%+v: index %d covered %d times (chunks %v)", tc, i, s, bounds)
			}
		}
		if len(bounds) > max(tc.threads, 1) {
			t.Errorf("%+v: %d chunks for %d threads", tc, len(bounds), tc.threads)
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	for _, kern := range kernelsToTest() {
		for _, sh := range [][3]int{{256, 256, 256}, {256, 256, 20}, {32, 64, 64}} {
			for _, th := range []int{1, 2} {
				benchGemm(b, kern, sh, th)
			}
		}
	}
}

func benchGemm(b *testing.B, kern microKernel, sh [3]int, th int) {
	m, n, k := sh[0], sh[1], sh[2]
	b.Run(fmt.Sprintf("%s/%dx%dx%d/threads=%d", kern.name, m, n, k, th), func(b *testing.B) {
		withKernel(b, kern)
		rng := rand.New(rand.NewPCG(1, 2))
		a, bb := randSlice(rng, m*k), randSlice(rng, k*n)
		c := make([]float32, m*n)
		e := NewExec(th)
		b.SetBytes(int64(2 * m * n * k)) // flops, reported as MB/s = MFLOP/s
		for b.Loop() {
			e.Gemm(false, false, m, n, k, a, k, bb, n, c, n, false)
		}
	})
}

// TestGemmVectorPath covers the matrix-vector shortcut (n = 1, contiguous
// vectors) against the float64 reference.
func TestGemmVectorPath(t *testing.T) {
	for _, kern := range kernelsToTest() {
		withKernel(t, kern)
		for _, mk := range [][2]int{{1, 1}, {7, 33}, {256, 256}, {40, 5}} {
			for _, tA := range []bool{false, true} {
				for _, acc := range []bool{false, true} {
					m, k := mk[0], mk[1]
					rng := rand.New(rand.NewPCG(uint64(m), uint64(k)))
					lda := k + 2
					if tA {
						lda = m + 2
					}
					a := randSlice(rng, max(m, k)*lda)
					b := randSlice(rng, k)
					c := randSlice(rng, m)
					c0 := append([]float32(nil), c...)
					var ref []float64
					if acc {
						ref = naive(tA, false, m, 1, k, a, lda, b, 1, c0, 1)
					} else {
						ref = naive(tA, false, m, 1, k, a, lda, b, 1, nil, 1)
					}
					NewExec(1).Gemm(tA, false, m, 1, k, a, lda, b, 1, c, 1, acc)
					for i := range c {
						if math.Abs(float64(c[i])-ref[i]) > 1e-4*(1+math.Sqrt(float64(k))) {
							t.Fatalf("%s m=%d k=%d tA=%v acc=%v: c[%d] = %v, want %v", kern.name, m, k, tA, acc, i, c[i], ref[i])
						}
					}
				}
			}
		}
	}
}
