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
// runs trained before it predict and resume alike; through the assembly
// loop (when this CPU runs it) and through Go. By default every 61st
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
	paths := []bool{false}
	if len(asmKernels()) > 0 {
		paths = append(paths, true)
	}
	for _, asm := range paths {
		old := useAsmVec
		useAsmVec = asm
		bad, n := tanhMismatches(0, end, stride)
		for _, b := range bad {
			v := math.Float32frombits(b)
			got := make([]float32, 1)
			Tanh([]float32{v}, got)
			t.Errorf("assembly %v: Tanh(%v) (bits %#x) = %v, math.Tanh gives %v", asm, v, b, got[0], float32(math.Tanh(float64(v))))
		}
		t.Logf("assembly %v: %d inputs checked (stride %d)", asm, n, stride)
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
				t.Errorf("assembly %v: Tanh(%v) = %v, math.Tanh gives %v", asm, v, y[i], want)
			}
		}
		useAsmVec = old
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
	for _, asm := range []bool{true, false} {
		if asm && len(asmKernels()) == 0 {
			continue
		}
		b.Run(fmt.Sprintf("Tanh/assembly=%v", asm), func(b *testing.B) {
			old := useAsmVec
			useAsmVec = asm
			defer func() { useAsmVec = old }()
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
