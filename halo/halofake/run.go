package halofake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// Run generates a tenant of the given size and serves it on addr until ctx is done (used
// by `halosync fakehalo`). A zero RateLimit means Halo's 300 per rolling 5 minutes; a
// negative one turns the limit off. Only the client id is printed, never the secret.
func Run(ctx context.Context, addr string, size Size, opts Options) error {
	switch {
	case opts.RateLimit == 0:
		opts.RateLimit, opts.RateWindow = 300, 5*time.Minute
	case opts.RateLimit < 0:
		opts.RateLimit = 0
	}
	s := New(opts)
	start := time.Now()
	s.Generate(size)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("halofake: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "fake Halo (%s: %d tickets) generated in %s, listening on http://%s (client_id %q)\n",
		size.Name, size.Tickets, time.Since(start).Round(time.Millisecond), ln.Addr(), s.opts.ClientID)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("halofake: serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shut)
	s.hooks.wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("halofake: shutdown: %w", err)
	}
	return nil
}
