package registry

import (
	"context"
	"sync"
)

// parallel runs f(0) … f(n-1) with at most jobs of them at once (Docker's
// max-concurrent-downloads / -uploads) and returns their errors by index. Calls not yet
// started when ctx ends return ctx's error without running.
func parallel(ctx context.Context, n, jobs int, f func(i int) error) []error {
	sem := make(chan struct{}, jobs)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errs
}
