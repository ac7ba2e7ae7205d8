package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// tanhMismatches checks Tanh against float32(math.Tanh) on the
// non-negative float32 bit patterns [lo, hi) taken every stride, each
// also negated, in slices of 1,000 (so the assembly loop, when in use,
// takes all but their tails), on all CPUs; it returns the first few
// mismatches and how many inputs were checked.
func tanhMismatches(lo, hi, stride uint32) (bad []uint32, checked int64) {
	var mu sync.Mutex
	var n atomic.Int64
	var wg sync.WaitGroup
	threads := uint64(runtime.GOMAXPROCS(0))
	const batch = 500
	span := batch * uint64(stride)
	for w := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := make([]float32, 0, 2*batch)
			y := make([]float32, 2*batch)
			for start := uint64(lo) + w*span; start < uint64(hi); start += threads * span {
				x = x[:0]
				for b := start; b < min(start+span, uint64(hi)); b += uint64(stride) {
					x = append(x, math.Float32frombits(uint32(b)), -math.Float32frombits(uint32(b)))
				}
				Tanh(x, y)
				for i, v := range x {
					if want := float32(math.Tanh(float64(v))); math.Float32bits(y[i]) != math.Float32bits(want) {
						mu.Lock()
						if len(bad) < 5 {
							bad = append(bad, math.Float32bits(v))
						}
						mu.Unlock()
					}
				}
				n.Add(int64(len(x)))
			}
		}()
	}
	wg.Wait()
	return bad, n.Load()
}

// TestTanhIsMathTanhBitForBit: Tanh must give float32(math.Tanh(x)) bit
// for bit, the trainer's activation until it used Tanh, so models and
// runs trained before it predict and resume alike; through each assembly
// loop this CPU runs (AVX2, AVX-512) and through Go. By default every 61st
// float32 from 0 to 64 (above 44, math.Tanh is ±1) and both signs, plus
// special values and random inputs; AUTOML_TANH_EXHAUSTIVE=1 checks
// every float32, both signs (minutes on 2 cores).
func TestTanhIsMathTanhBitForBit(t *testing.T) {
	stride := uint32(61)
	if os.Getenv("AUTOML_TANH_EXHAUSTIVE") != "" {
		stride = 1
	}
	end := math.Float32bits(64)
	if stride == 1 {
		end = math.Float32bits(float32(math.Inf(1))) + 1
	}
	type path struct{ asm, avx512 bool }
	paths := []path{{false, false}}
	for _, k := range asmKernels() {
		paths = append(paths, path{true, k.name == "avx512"})
	}
	for _, p := range paths {
		old, old512 := useAsmVec, useAsm512
		useAsmVec, useAsm512 = p.asm, p.avx512
		asm := fmt.Sprintf("%v (avx512 %v)", p.asm, p.avx512)
		bad, n := tanhMismatches(0, end, stride)
		for _, b := range bad {
			v := math.Float32frombits(b)
			got := make([]float32, 1)
			Tanh([]float32{v}, got)
			t.Errorf("assembly %s: Tanh(%v) (bits %#x) = %v, math.Tanh gives %v", asm, v, b, got[0], float32(math.Tanh(float64(v))))
		}
		t.Logf("assembly %s: %d inputs checked (stride %d)", asm, n, stride)
		// special values, and random ones, in one slice with a tail
		x := []float32{0, float32(math.Copysign(0, -1)), tanhOne, math.Nextafter32(tanhOne, 0), 9.01, 44,
			1e-45, 1e-30, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, float32(math.NaN())}
		rng := rand.New(rand.NewPCG(2, 2))
		for range 1001 {
			x = append(x, float32(rng.NormFloat64()*3))
		}
		y := make([]float32, len(x))
		Tanh(x, y)
		for i, v := range x {
			want := float32(math.Tanh(float64(v)))
			if math.Float32bits(y[i]) != math.Float32bits(want) && !(math.IsNaN(float64(v)) && math.IsNaN(float64(y[i]))) {
				t.Errorf("assembly %s: Tanh(%v) = %v, math.Tanh gives %v", asm, v, y[i], want)
			}
		}
		useAsmVec, useAsm512 = old, old512
	}
}

// BenchmarkTanh compares Tanh with the float32(math.Tanh) loop on
// pre-activations like a hidden layer's (normal, sd 1.5).
func BenchmarkTanh(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, 1<<14)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 1.5)
	}
	y := make([]float32, len(x))
	modes := []struct {
		name        string
		asm, avx512 bool
	}{{"go", false, false}}
	for _, k := range asmKernels() {
		modes = append(modes, struct {
			name        string
			asm, avx512 bool
		}{k.name, true, k.name == "avx512"})
	}
	for _, m := range modes {
		b.Run("Tanh/"+m.name, func(b *testing.B) {
			old, old512 := useAsmVec, useAsm512
			useAsmVec, useAsm512 = m.asm, m.avx512
			defer func() { useAsmVec, useAsm512 = old, old512 }()
			for b.Loop() {
				Tanh(x, y)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
		})
	}
	b.Run("math.Tanh", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				y[i] = float32(math.Tanh(float64(v)))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
	})
}
