package main

import (
	"fmt"
	"log/slog"
	"os"
	stdsync "sync"
	"time"

	"github.com/schollz/progressbar/v3"

	hsync "github.com/halosync/halosync/sync"
)

// progress shows a pull's progress: a live bar per entity on a terminal,
// a log line every few seconds otherwise.
type progress struct {
	mu       stdsync.Mutex
	out      *os.File
	log      *slog.Logger
	tty      bool
	perSec   float64 // the request budget, for the ETA
	bar      *progressbar.ProgressBar
	entity   string
	lastLine time.Time
}

func newProgress(out *os.File, log *slog.Logger, rate string) *progress {
	p := &progress{out: out, log: log, tty: isTerminal(out)}
	if n, w, err := ParseRate(rate); err == nil {
		p.perSec = float64(n) / w.Seconds()
	}
	return p
}

// eta estimates the time left. Halo's request budget usually bounds a large
// pull, so the rows left are turned into requests at the rows per request
// seen so far (100 for most lists, 50 for assets, one ticket per request
// when actions are read per ticket) and spread over the budget; when the
// pull runs slower than the budget allows, its observed speed wins.
func (p *progress) eta(ev hsync.Progress) time.Duration {
	left := ev.Total - ev.Fetched
	if left <= 0 {
		return 0
	}
	var eta float64
	if p.perSec > 0 {
		perRequest := 100.0
		if ev.Requests > 0 && ev.Fetched > 0 {
			perRequest = max(float64(ev.Fetched)/float64(ev.Requests), 1)
		}
		eta = float64(left) / perRequest / p.perSec
	}
	if elapsed := time.Since(ev.Started).Seconds(); ev.Fetched > 0 && elapsed > 0 {
		eta = max(eta, float64(left)/(float64(ev.Fetched)/elapsed))
	}
	return time.Duration(eta * float64(time.Second))
}

func (p *progress) update(ev hsync.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(ev.Started).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(ev.Fetched) / elapsed
	}
	if !p.tty {
		if ev.Done || time.Since(p.lastLine) >= 3*time.Second {
			p.lastLine = time.Now()
			p.log.Info("pull progress", "entity", ev.Entity, "fetched", ev.Fetched, "record_count", ev.Total,
				"rows_per_s", fmt.Sprintf("%.0f", rate), "requests", ev.Requests, "eta", p.eta(ev).Round(time.Second).String(), "done", ev.Done)
		}
		return
	}
	if p.bar != nil && p.entity != ev.Entity {
		// Another entity's bar is drawn (a cycle pulls several at once):
		// this one gets a line when it is done.
		if ev.Done {
			_ = p.bar.Clear()
			fmt.Fprintf(p.out, "%-12s %d rows, %d req, done\n", ev.Entity, ev.Fetched, ev.Requests)
			_ = p.bar.RenderBlank()
		}
		return
	}
	if p.bar == nil {
		p.entity = ev.Entity
		p.bar = progressbar.NewOptions(max(ev.Total, ev.Fetched, 1),
			progressbar.OptionSetWriter(p.out),
			progressbar.OptionSetDescription(fmt.Sprintf("%-12s", ev.Entity)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	if ev.Total > 0 {
		p.bar.ChangeMax(max(ev.Total, ev.Fetched))
	}
	p.bar.Describe(fmt.Sprintf("%-12s %5.0f rows/s  %4d req  eta %s", ev.Entity, rate, ev.Requests, p.eta(ev).Round(time.Second)))
	_ = p.bar.Set(ev.Fetched)
	if ev.Done {
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
		p.bar = nil
	}
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
		p.bar = nil
	}
}
