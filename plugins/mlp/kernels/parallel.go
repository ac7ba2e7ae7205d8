package kernels

import (
	"runtime"
	"sync"
)

// Threads resolves a requested thread count: n > 0 is kept, anything else
// means GOMAXPROCS.
func Threads(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// For runs fn(lo, hi) over [0, n) split into at most `threads` contiguous
// chunks whose boundaries are multiples of `grain` (the last chunk takes
// the rest). Chunks run concurrently; the first runs on the calling
// goroutine. fn must only write state owned by its chunk.
func For(threads, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	units := (n + grain - 1) / grain
	if threads > units {
		threads = units
	}
	if threads <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	per, extra := units/threads, units%threads
	lo := 0
	var first [2]int
	for t := 0; t < threads; t++ {
		u := per
		if t < extra {
			u++
		}
		hi := min(n, lo+u*grain)
		if t == 0 {
			first = [2]int{lo, hi}
		} else {
			wg.Add(1)
			go func(lo, hi int) {
				defer wg.Done()
				fn(lo, hi)
			}(lo, hi)
		}
		lo = hi
	}
	fn(first[0], first[1])
	wg.Wait()
}
