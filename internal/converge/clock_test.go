package converge

import (
	"testing"
	"time"
)

// TestPinClockRunsForward: the fake Halo's clock, like Halo's, never gives a time before one it gave — not
// after a pin ahead of real time, and not at a pin behind it once waitPinnable has waited.
func TestPinClockRunsForward(t *testing.T) {
	var c pinClock
	ahead := time.Now().Add(time.Hour)
	c.pin(ahead)
	if got := c.now(); !got.Equal(ahead) {
		t.Fatalf("pinned clock gave %s, want %s", got, ahead)
	}
	c.unpin()
	if got := c.now(); got.Before(ahead) {
		t.Fatalf("after a pin an hour ahead, the clock gave %s (back before %s)", got, ahead)
	}

	var d pinClock
	last := d.now()
	d.waitPinnable(-time.Millisecond)
	at := time.Now().Add(-time.Millisecond)
	if !at.After(last) {
		t.Fatalf("waitPinnable(-1ms) returned while now-1ms = %s is not after the last time given, %s", at, last)
	}
	d.pin(at)
	if got := d.now(); got.Before(last) {
		t.Fatalf("pin behind the clock: gave %s after %s", got, last)
	}
}
