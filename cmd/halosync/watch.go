package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// ANSI sequences of an in-place redraw: home the cursor, clear to the end of each line, clear what is
// left below the frame. Clearing the whole screen every frame would flicker.
const (
	ansiClear     = "\x1b[H\x1b[2J"
	ansiHome      = "\x1b[H"
	ansiEraseLine = "\x1b[K"
	ansiEraseDown = "\x1b[J"
)

// watch renders a report every interval until ctx ends (Ctrl-C), then returns nil. On a terminal each
// frame replaces the previous one in place; elsewhere (a pipe, a file) frames follow each other, each
// after a timestamped header. A failed render (the database restarting) is shown in the frame and the
// watch goes on.
func watch(ctx context.Context, w io.Writer, tty bool, every time.Duration, render func(context.Context, io.Writer) error) error {
	for frame := 0; ; frame++ {
		var body bytes.Buffer
		now := time.Now()
		fmt.Fprintf(&body, "halosync status at %s, every %s (Ctrl-C stops)\n\n", now.Format("15:04:05"), every)
		if err := render(ctx, &body); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(&body, "error: %v\n", err)
		}
		var out bytes.Buffer
		if tty {
			if frame == 0 {
				out.WriteString(ansiClear)
			} else {
				out.WriteString(ansiHome)
			}
			lines := strings.Split(strings.TrimRight(body.String(), "\n"), "\n")
			for _, l := range lines {
				out.WriteString(l + ansiEraseLine + "\n")
			}
			out.WriteString(ansiEraseDown)
		} else {
			if frame > 0 {
				out.WriteString("\n")
			}
			out.Write(body.Bytes())
		}
		if _, err := w.Write(out.Bytes()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}
