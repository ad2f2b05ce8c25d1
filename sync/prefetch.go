package sync

import (
	"context"
	"iter"

	"github.com/halosync/halosync/halo"
)

// prefetchPages is how many pages a walk may read ahead of the pages being
// stored: one batch's worth.
const prefetchPages = batchRows / halo.DefaultPageSize

// prefetch runs a page walk ahead of its consumer: while the pull stores a
// batch of pages, the next requests (Halo's rendering, the transfer, the JSON
// decoding) are already under way, so the network and the database overlap
// instead of taking turns. At most prefetchPages pages wait for the consumer
// (about one stored batch, see batchRows: with a single page of lead the walk
// stalled for most of every batch's transaction), so memory and the work lost
// to a crash stay bounded by about one batch more than without it, and the
// request count of a complete walk is unchanged. When the consumer stops
// early the walk's context is cancelled and the producer drained, so no
// goroutine outlives the loop.
func prefetch[T any](ctx context.Context, walk func(context.Context) iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		type item struct {
			v   T
			err error
		}
		ch := make(chan item, prefetchPages)
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
