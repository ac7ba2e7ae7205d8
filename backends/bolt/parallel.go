package bolt

import (
	"runtime"
	"sync"
)

// parallelMin is the item count from which decoding is spread over CPUs.
const parallelMin = 2048

// parallelFor calls fn(i) for i in [0, n), on all CPUs when n is large,
// and returns the first error in index order. Each worker runs under
// protect: a goroutine does not inherit its parent's recover or
// SetPanicOnFault, and fn may read bbolt's memory map.
func parallelFor(n int, fn func(i int) error) error {
	workers := 1
	if n >= parallelMin {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	if workers == 1 {
		return protect(func() error {
			for i := range n {
				if err := fn(i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			errs[w] = protect(func() error {
				for i := lo; i < hi; i++ {
					if err := fn(i); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
