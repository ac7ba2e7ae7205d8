package kernels

import (
	"fmt"
	"os"
)

// Cache-block sizes: an A block of mc x kc floats stays in L2 while it is
// used against every packed B panel.
const (
	kc = 256
	// smallWork is the multiply-add count below which a GEMM runs on one
	// goroutine: starting goroutines would cost more than it saves.
	smallWork = 1 << 16
	// maxTile bounds mr*nr over all micro-kernels.
	maxTile = 8 * 32
)

// microKernel computes C[mr x nr] += A·B over kc steps, A packed as
// a[p*mr+i], B packed as b[p*nr+j], C with row stride ldc.
type microKernel struct {
	name   string
	mr, nr int
	run    func(kc int, a, b, c []float32, ldc int)
	// infer, where there is one, sets a contiguous C = bias + A·B (bias
	// along C's rows) with run's arithmetic, then max(0, C) as Relu does
	// when relu: Packed.Forward's tile in one call.
	infer func(kc int, a, b, c, bias []float32, relu bool)
}

// The micro-kernel in use, chosen once at start-up, and its tile shape.
var (
	micro  = microKernel{name: "go", mr: 6, nr: 16, run: microGo}
	mr, nr = micro.mr, micro.nr
	mc     = 16 * mr
)

func init() {
	choice := os.Getenv("AUTOML_MLP_KERNEL")
	if choice == "go" {
		return
	}
	for _, k := range asmKernels() {
		if choice == "" || choice == k.name {
			setKernel(k)
			return
		}
	}
}

func setKernel(k microKernel) {
	micro, mr, nr, mc = k, k.mr, k.nr, 16*k.mr
	useAsmVec = k.name != "go"
	useAsm512 = k.name == "avx512"
}

// Kernel names the micro-kernel in use: "avx512" or "avx2" (assembly with
// fused multiply-adds), or "go" (the portable fallback). The environment
// variable AUTOML_MLP_KERNEL=go|avx2|avx512 forces one (an unavailable
// choice falls back to go).
func Kernel() string { return micro.name }

// Exec runs GEMMs on up to Threads goroutines and keeps their packing
// buffers between calls. It is not safe for concurrent use; give each
// model its own.
type Exec struct {
	threads int
	packB   []float32
	packA   [][]float32
	tiles   [][maxTile]float32
}

// NewExec returns an Exec using `threads` goroutines (0: GOMAXPROCS).
func NewExec(threads int) *Exec {
	t := Threads(threads)
	return &Exec{threads: t, packA: make([][]float32, t), tiles: make([][maxTile]float32, t)}
}

// Threads is the number of goroutines the Exec uses.
func (e *Exec) Threads() int { return e.threads }

// Gemm computes C = op(A)·op(B), or C += op(A)·op(B) when acc, where op(A)
// is m x k and op(B) is k x n. With tA false A is stored m x k (row stride
// lda), with tA true it is stored k x m; likewise B is k x n or, with tB,
// n x k. C is m x n with row stride ldc.
func (e *Exec) Gemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	checkGemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if !acc {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	if k <= 0 {
		return
	}
	if n == 1 && ldc == 1 && (tB || ldb == 1) {
		// A matrix-vector product: a micro-tile would be 1/nr useful.
		e.gemv(tA, m, k, a, lda, b, c)
		return
	}
	nPanels := (n + nr - 1) / nr
	e.packB = grow(e.packB, nPanels*k*nr)
	packB(tB, k, n, b, ldb, e.packB)

	threads := e.threads
	if m*n*k < smallWork {
		threads = 1
	}
	// Split the output into tm row chunks (on mr boundaries) times tn
	// column chunks (on nr boundaries); each element belongs to one task.
	mPanels := (m + mr - 1) / mr
	tm := min(threads, mPanels)
	tn := min(max(threads/tm, 1), nPanels)
	For(tm*tn, tm*tn, 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			r0, r1 := span(t/tn, tm, mPanels)
			p0, p1 := span(t%tn, tn, nPanels)
			e.block(t, tA, m, n, k, a, lda, c, ldc, r0*mr, min(r1*mr, m), p0, p1)
		}
	})
}

// gemv sets c += op(A)·b for a contiguous vector b (length k) and c
// (length m): row dot products, or for a transposed A one axpy per row of
// the stored matrix (both contiguous).
func (e *Exec) gemv(tA bool, m, k int, a []float32, lda int, b, c []float32) {
	b, c = b[:k], c[:m]
	if !tA {
		for i := range c {
			c[i] += Dot(a[i*lda:i*lda+k], b)
		}
		return
	}
	for p, bp := range b {
		Axpy(bp, a[p*lda:p*lda+m], c)
	}
}

// span returns the i-th of `parts` near-equal ranges of [0, units).
func span(i, parts, units int) (int, int) {
	per, extra := units/parts, units%parts
	lo := i*per + min(i, extra)
	hi := lo + per
	if i < extra {
		hi++
	}
	return lo, hi
}

// block computes rows [i0, i1) and column panels [p0, p1) of C.
func (e *Exec) block(t int, tA bool, m, n, k int, a []float32, lda int, c []float32, ldc int, i0, i1, p0, p1 int) {
	e.packA[t] = grow(e.packA[t], mc*kc)
	ap := e.packA[t]
	tile := &e.tiles[t]
	for ic := i0; ic < i1; ic += mc {
		mcur := min(mc, i1-ic)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			packA(tA, ic, mcur, pc, kcur, a, lda, ap)
			for jp := p0; jp < p1; jp++ {
				bp := e.packB[jp*k*nr+pc*nr : jp*k*nr+(pc+kcur)*nr]
				j0 := jp * nr
				ncur := min(nr, n-j0)
				for ir := 0; ir < mcur; ir += mr {
					mcur2 := min(mr, mcur-ir)
					apan := ap[ir*kcur : ir*kcur+kcur*mr]
					row := ic + ir
					if mcur2 == mr && ncur == nr {
						micro.run(kcur, apan, bp, c[row*ldc+j0:], ldc)
						continue
					}
					// Edge tile: run the same kernel on a padded copy so
					// every element sees the same instruction sequence.
					clear(tile[:])
					for i := 0; i < mcur2; i++ {
						copy(tile[i*nr:i*nr+ncur], c[(row+i)*ldc+j0:(row+i)*ldc+j0+ncur])
					}
					micro.run(kcur, apan, bp, tile[:], nr)
					for i := 0; i < mcur2; i++ {
						copy(c[(row+i)*ldc+j0:(row+i)*ldc+j0+ncur], tile[i*nr:i*nr+ncur])
					}
				}
			}
		}
	}
	_ = m
}

// packA copies rows [i0, i0+rows) and columns [p0, p0+kk) of op(A) into
// mr-row panels laid out p-major (panel r at r*kk: ap[p*mr+i]), zero-padding
// the last panel.
func packA(tA bool, i0, rows, p0, kk int, a []float32, lda int, ap []float32) {
	for r := 0; r < rows; r += mr {
		pan := ap[r*kk : r*kk+kk*mr]
		h := min(mr, rows-r)
		if !tA {
			for i := 0; i < h; i++ {
				src := a[(i0+r+i)*lda+p0 : (i0+r+i)*lda+p0+kk]
				for p, v := range src {
					pan[p*mr+i] = v
				}
			}
		} else {
			for p := 0; p < kk; p++ {
				src := a[(p0+p)*lda+i0+r : (p0+p)*lda+i0+r+h]
				copy(pan[p*mr:p*mr+h], src)
			}
		}
		if h < mr {
			for p := 0; p < kk; p++ {
				clear(pan[p*mr+h : p*mr+mr])
			}
		}
	}
}

// packB copies op(B) (k x n) into nr-column panels (panel j at j*k*nr:
// bp[p*nr+jj]), zero-padding the last panel.
func packB(tB bool, k, n int, b []float32, ldb int, bp []float32) {
	for j0 := 0; j0 < n; j0 += nr {
		pan := bp[(j0/nr)*k*nr : (j0/nr+1)*k*nr]
		w := min(nr, n-j0)
		if !tB {
			for p := 0; p < k; p++ {
				copy(pan[p*nr:p*nr+w], b[p*ldb+j0:p*ldb+j0+w])
				clear(pan[p*nr+w : p*nr+nr])
			}
			continue
		}
		for jj := 0; jj < w; jj++ {
			src := b[(j0+jj)*ldb : (j0+jj)*ldb+k]
			for p, v := range src {
				pan[p*nr+jj] = v
			}
		}
		if w < nr {
			for p := 0; p < k; p++ {
				clear(pan[p*nr+w : p*nr+nr])
			}
		}
	}
}

// microGo is the portable micro-kernel: the same loop order as the
// assembly, with a separate multiply and add.
// It works on a 6 x 16 tile.
func microGo(kcur int, a, b, c []float32, ldc int) {
	const mr, nr = 6, 16
	var acc [mr * nr]float32
	for i := 0; i < mr; i++ {
		copy(acc[i*nr:(i+1)*nr], c[i*ldc:i*ldc+nr])
	}
	a = a[:kcur*mr]
	b = b[:kcur*nr]
	for p := 0; p < kcur; p++ {
		bp := (*[nr]float32)(b[p*nr : p*nr+nr])
		for i := 0; i < mr; i++ {
			ai := a[p*mr+i]
			row := (*[nr]float32)(acc[i*nr : i*nr+nr])
			for j := range row {
				row[j] += ai * bp[j]
			}
		}
	}
	for i := 0; i < mr; i++ {
		copy(c[i*ldc:i*ldc+nr], acc[i*nr:(i+1)*nr])
	}
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// checkGemm panics on inconsistent shapes: a programming error in the
// caller, never a consequence of user input.
func checkGemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	switch {
	case k > 0 && (lda < ac || len(a) < (ar-1)*lda+ac):
		panic(fmt.Sprintf("kernels: gemm A %dx%d lda %d len %d", ar, ac, lda, len(a)))
	case k > 0 && (ldb < bc || len(b) < (br-1)*ldb+bc):
		panic(fmt.Sprintf("kernels: gemm B %dx%d ldb %d len %d", br, bc, ldb, len(b)))
	case ldc < n || len(c) < (m-1)*ldc+n:
		panic(fmt.Sprintf("kernels: gemm C %dx%d ldc %d len %d", m, n, ldc, len(c)))
	}
}
