package server

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/halosync/halosync/store"
)

// This file turns the status page's history into inline SVG geometry: an entity's lag over 24 hours (a
// sparkline) and the rate budget's use per minute over the last hour (a bar chart). Only numbers and
// path strings are produced here; status.html draws them, so there is no front-end build and no script.

// Sparkline geometry (SVG user units; the SVG scales to its box).
const (
	sparkW, sparkH = 240.0, 40.0
	sparkStep      = 10 * time.Minute
	sparkSpan      = 24 * time.Hour
)

// sparkline is one entity's lag history drawn in a sparkW×sparkH box.
type sparkline struct {
	Path      string  // the lag line ("M x y L x y ..."); empty when the entity was never pulled
	Limit     float64 // y of the alert threshold (three intervals)
	MaxLabel  string  // lag at the top of the box
	PeakLabel string  // worst lag in the span
	Title     string  // accessible description
}

// lagSeries samples lag (time since the latest successful pull) every step from now-span to now; nil
// where no pull had succeeded yet. successes must be sorted oldest first.
func lagSeries(successes []time.Time, now time.Time, span, step time.Duration) []*time.Duration {
	n := int(span/step) + 1
	out := make([]*time.Duration, n)
	for i := range n {
		t := now.Add(-span + time.Duration(i)*step)
		// Latest success at or before t.
		k := sort.Search(len(successes), func(j int) bool { return successes[j].After(t) })
		if k == 0 {
			continue
		}
		d := t.Sub(successes[k-1])
		out[i] = &d
	}
	return out
}

// drawSparkline scales a lag series into the box; the y axis goes from 0 to the larger of the worst lag
// and four intervals, so the threshold line (three intervals) is always visible.
func drawSparkline(series []*time.Duration, interval time.Duration) sparkline {
	limit := 3 * interval
	top := 4 * interval
	var peak time.Duration
	for _, d := range series {
		if d != nil && *d > peak {
			peak = *d
		}
	}
	top = max(top, peak, time.Second)
	y := func(d time.Duration) float64 { return round1(sparkH - float64(d)/float64(top)*(sparkH-2) - 1) }
	var b strings.Builder
	pen := false
	for i, d := range series {
		if d == nil {
			pen = false
			continue
		}
		x := float64(i) / float64(max(len(series)-1, 1)) * sparkW
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f ", cmd, x, y(*d))
		pen = true
	}
	return sparkline{
		Path: strings.TrimSpace(b.String()), Limit: y(limit), MaxLabel: human(top), PeakLabel: human(peak),
		Title: fmt.Sprintf("lag over the last 24 hours: worst %s, alert above %s", human(peak), human(limit)),
	}
}

// Budget chart geometry.
const (
	budgetW, budgetH = 600.0, 160.0
	budgetMinutes    = 60
)

// budgetBar is one minute of the budget chart.
type budgetBar struct {
	X, Y, W, H float64
	Limited    bool // Halo answered 429 in this minute
	Title      string
}

// budgetChart is the last hour of the shared rate budget.
type budgetChart struct {
	Bars        []budgetBar
	LimitY      float64 // y of the per-minute allowance (limit ÷ window in minutes)
	LimitLabel  string
	TopLabel    string
	Granted     int64 // requests in the hour
	Refused     int64
	RateLimited int64 // 429s in the hour
}

// drawBudget lays out one bar per minute of the last hour (empty minutes have no bar); the y axis goes
// from 0 to the larger of the busiest minute and 1.25 × the per-minute allowance.
func drawBudget(minutes []store.BudgetMinute, limit int, window time.Duration, now time.Time) budgetChart {
	perMin := 0.0
	if window > 0 {
		perMin = float64(limit) / window.Minutes()
	}
	start := now.Truncate(time.Minute).Add(-(budgetMinutes - 1) * time.Minute)
	slotOf := func(m store.BudgetMinute) int { return int(m.Minute.Sub(start) / time.Minute) }
	top := max(perMin*1.25, 1)
	for _, m := range minutes {
		if i := slotOf(m); i >= 0 && i < budgetMinutes {
			top = max(top, float64(m.Granted))
		}
	}
	var c budgetChart
	slot := budgetW / budgetMinutes
	for _, m := range minutes {
		i := slotOf(m)
		if i < 0 || i >= budgetMinutes {
			continue
		}
		c.Granted += m.Granted
		c.Refused += m.Refused
		c.RateLimited += m.RateLimited
		h := float64(m.Granted) / top * (budgetH - 2)
		if m.Granted > 0 && h < 1 {
			h = 1
		}
		title := fmt.Sprintf("%s: %d requests", m.Minute.Local().Format("15:04"), m.Granted)
		if m.Refused > 0 {
			title += fmt.Sprintf(", %d held back", m.Refused)
		}
		if m.RateLimited > 0 {
			title += fmt.Sprintf(", %d × 429", m.RateLimited)
			h = max(h, 4) // a 429 minute stays visible
		}
		h = round1(h)
		c.Bars = append(c.Bars, budgetBar{X: round1(float64(i)*slot + 1), Y: round1(budgetH - h), W: round1(slot - 2), H: h,
			Limited: m.RateLimited > 0, Title: title})
	}
	c.LimitY = round1(budgetH - perMin/top*(budgetH-2))
	c.LimitLabel = fmt.Sprintf("%.0f/min allowed", perMin)
	c.TopLabel = fmt.Sprintf("%.0f", top)
	return c
}

// round1 keeps one decimal: SVG coordinates need no more.
func round1(v float64) float64 { return math.Round(v*10) / 10 }

// human prints a duration the way an operator reads it: "45s", "12m", "3h10m", "2d4h".
func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 10 {
			return fmt.Sprintf("%dh%dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
