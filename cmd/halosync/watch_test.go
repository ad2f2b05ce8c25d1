package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe to read while watch writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// runWatch runs watch until it has drawn frames frames, then stops it as Ctrl-C would.
func runWatch(t *testing.T, tty bool, frames int, render func(int, io.Writer) error) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	n := 0
	done := make(chan error, 1)
	go func() {
		done <- watch(ctx, &out, tty, time.Millisecond, func(_ context.Context, w io.Writer) error {
			n++
			if n == frames {
				defer cancel()
			}
			return render(n, w)
		})
	}()
	select {
	case err := <-done:
		require.NoError(t, err, "Ctrl-C ends the watch without an error")
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not stop")
	}
	return out.String()
}

// TestWatchRedrawsInPlace: on a terminal the first frame clears the screen, the next ones home the
// cursor and overwrite (each line erased to its end, the rest of the screen erased below), so a shorter
// frame leaves nothing of the longer one behind.
func TestWatchRedrawsInPlace(t *testing.T) {
	out := runWatch(t, true, 3, func(n int, w io.Writer) error {
		if n == 2 {
			return errors.New("database restarting")
		}
		for i := range 4 - n {
			fmt.Fprintf(w, "frame %d line %d\n", n, i)
		}
		return nil
	})
	frames := strings.Split(out, ansiHome)
	require.True(t, strings.HasPrefix(out, ansiClear), "the first frame clears the screen")
	require.Len(t, frames, 4, "clear (which starts with home) + two redraws: %q", out)
	require.Contains(t, frames[1], "frame 1 line 2"+ansiEraseLine+"\n")
	require.Contains(t, frames[2], "error: database restarting"+ansiEraseLine, "a failed refresh is shown, the watch goes on")
	require.Contains(t, frames[3], "frame 3 line 0"+ansiEraseLine+"\n")
	require.True(t, strings.HasSuffix(frames[3], ansiEraseDown), "what the previous frame left below is erased")
}

// TestWatchAppendsWhenPiped: not on a terminal, frames follow each other without escape sequences.
func TestWatchAppendsWhenPiped(t *testing.T) {
	out := runWatch(t, false, 2, func(n int, w io.Writer) error { fmt.Fprintf(w, "frame %d\n", n); return nil })
	require.NotContains(t, out, "\x1b[")
	require.Equal(t, 2, strings.Count(out, "halosync status at "))
	require.Regexp(t, `(?s)frame 1\n\nhalosync status at .*frame 2\n$`, out)
}

func TestStatusWatchInterval(t *testing.T) {
	env, _ := opsDB(t)
	_, _, err := runCmd(t, env, "status", "--watch", "--interval", "10ms")
	require.ErrorContains(t, err, "--interval 10ms: expected at least 1s")
}
