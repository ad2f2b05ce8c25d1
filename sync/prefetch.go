package sync

import (
	"context"
	"iter"
)

// prefetch runs a page walk one page ahead of its consumer: while the pull
// stores page N, the next request (Halo's rendering, the transfer, the JSON
// decoding) is already under way, so the network and the database overlap
// instead of taking turns. At most one page waits for the consumer (the
// channel is unbuffered), so memory and the work lost to a crash stay at one
// page more than without it, and the request count of a complete walk is
// unchanged. When the consumer stops early the walk's context is cancelled
// and the producer drained, so no goroutine outlives the loop.
func prefetch[T any](ctx context.Context, walk func(context.Context) iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		type item struct {
			v   T
			err error
		}
		ch := make(chan item)
		go func() {
			defer close(ch)
			for v, err := range walk(ctx) {
				select {
				case ch <- item{v, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
		defer func() {
			cancel()
			for range ch {
			}
		}()
		for it := range ch {
			if !yield(it.v, it.err) {
				return
			}
		}
	}
}
