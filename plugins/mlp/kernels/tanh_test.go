package kernels

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// tanhMismatches checks tanh32 against float32(math.Tanh) on the
// non-negative float32 bit patterns [lo, hi) taken every stride, each
// also negated, on all CPUs, and returns the first few mismatches and
// how many inputs were checked.
func tanhMismatches(lo, hi, stride uint32) (bad []uint32, checked int64) {
	var mu sync.Mutex
	var n atomic.Int64
	var wg sync.WaitGroup
	threads := uint32(runtime.GOMAXPROCS(0))
	for w := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c int64
			got := make([]float32, 1)
			for b := uint64(lo) + uint64(w*stride); b < uint64(hi); b += uint64(threads * stride) {
				for _, v := range []float32{math.Float32frombits(uint32(b)), -math.Float32frombits(uint32(b))} {
					c++
					want := float32(math.Tanh(float64(v)))
					Tanh([]float32{v}, got)
					if math.Float32bits(got[0]) != math.Float32bits(want) {
						mu.Lock()
						if len(bad) < 5 {
							bad = append(bad, math.Float32bits(v))
						}
						mu.Unlock()
					}
				}
			}
			n.Add(c)
		}()
	}
	wg.Wait()
	return bad, n.Load()
}

// TestTanhIsMathTanhBitForBit: Tanh must give float32(math.Tanh(x)) bit
// for bit, the trainer's activation until it used Tanh, so models and
// runs trained before it predict and resume alike. By default every 61st
// float32 from 0 to 64 (above 44, math.Tanh is ±1) and both signs, plus
// the special values and random inputs; AUTOML_TANH_EXHAUSTIVE=1 checks
// every float32 (about a minute on 2 cores).
func TestTanhIsMathTanhBitForBit(t *testing.T) {
	stride := uint32(61)
	if os.Getenv("AUTOML_TANH_EXHAUSTIVE") != "" {
		stride = 1
	}
	end := math.Float32bits(64)
	if stride == 1 {
		end = math.Float32bits(float32(math.Inf(1))) + 1
	}
	bad, n := tanhMismatches(0, end, stride)
	for _, b := range bad {
		v := math.Float32frombits(b)
		got := make([]float32, 1)
		Tanh([]float32{v}, got)
		t.Errorf("Tanh(%v) (bits %#x) = %v, math.Tanh gives %v", v, b, got[0], float32(math.Tanh(float64(v))))
	}
	t.Logf("%d inputs checked (stride %d)", n, stride)
	// the boundaries of the branches, specials, and one slice through Tanh
	specials := []float32{0, float32(math.Copysign(0, -1)), tanhOne,
		math.Nextafter32(tanhOne, 0), 9.01, 44, 1e-45, 1e-30, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32}
	rng := rand.New(rand.NewPCG(2, 2))
	for range 1000 {
		specials = append(specials, float32(rng.NormFloat64()*3))
	}
	x := append(specials, -1*specials[len(specials)-1])
	y := make([]float32, len(x))
	Tanh(x, y)
	for i, v := range x {
		if want := float32(math.Tanh(float64(v))); math.Float32bits(y[i]) != math.Float32bits(want) {
			t.Errorf("Tanh(%v) = %v, math.Tanh gives %v", v, y[i], want)
		}
	}
	nan := make([]float32, 1)
	Tanh([]float32{float32(math.NaN())}, nan)
	if !math.IsNaN(float64(nan[0])) {
		t.Errorf("Tanh(NaN) = %v", nan[0])
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
	b.Run("Tanh", func(b *testing.B) {
		for b.Loop() {
			Tanh(x, y)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
	})
	b.Run("math.Tanh", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				y[i] = float32(math.Tanh(float64(v)))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
	})
}
