package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"testing"

	"github.com/halosync/halosync/internal/testdb"
)

// figure is one line of the results table.
type figure struct {
	Key    string   `json:"key"`
	Name   string   `json:"figure"`
	Value  *float64 `json:"value"` // nil: not measured
	Unit   string   `json:"unit,omitempty"`
	Text   string   `json:"text"` // the value as printed
	Goal   string   `json:"goal"`
	Met    *bool    `json:"met"` // nil: no goal or not measured
	Detail string   `json:"detail,omitempty"`
	Load   string   `json:"load_average"` // of the machine when the figure was recorded (1, 5, 15 min)
	order  int
}

// Keys, in table order.
var order = []string{
	"requests_bulk", "requests_perticket", "requests_counts",
	"requests_appointments", "requests_timesheet_events", "requests_timesheets", "requests_invoices",
	"requests_items", "requests_quotes", "requests_suppliers",
	"ingest_rows_per_s", "copy_rows_per_s", "ingest_vs_copy",
	"incr_10k", "incr_200k", "incr_ratio", "incr_requests",
	"rate_use", "rate_429",
	"fresh_webhook", "fresh_push",
	"memory", "memory_1m",
	"large_sync",
	"recent_ratio", "resume_ratio",
}

var (
	resMu   sync.Mutex
	results = map[string]*figure{}
	machine = map[string]string{}
)

// record keeps a figure for the table and rewrites the JSON file with every figure so far: a run stopped
// part-way (a timeout, an interrupt) still leaves what it measured in bench/results.json.
func record(f figure) {
	f.Load = loadAverage()
	resMu.Lock()
	f.order = len(order)
	for i, k := range order {
		if k == f.Key {
			f.order = i
		}
	}
	results[f.Key] = &f
	resMu.Unlock()
	if err := writeJSON(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
}

// measured records a figure with a value; met says whether the goal holds (nil: no goal).
func measured(key, name string, v float64, unit, text, goal string, met *bool, detail string) {
	record(figure{Key: key, Name: name, Value: &v, Unit: unit, Text: text, Goal: goal, Met: met, Detail: detail})
}

// notMeasured records why a figure could not be taken.
func notMeasured(key, name, goal, why string) {
	record(figure{Key: key, Name: name, Text: "not measured: " + why, Goal: goal})
}

func boolp(b bool) *bool { return &b }

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupBinary()
	resMu.Lock()
	n := len(results)
	resMu.Unlock()
	if n > 0 {
		if err := report(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func report(w io.Writer) error {
	machineOnce.Do(collectMachine)
	figs := sorted()
	fmt.Fprintf(w, "\nhalosync benchmarks — %s, %s, load average %s at the end\n", machine["cpu"], machine["postgres"], loadAverage())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tRESULT\tGOAL\tMET")
	for _, f := range figs {
		met := "–"
		if f.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*f.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Text, f.Goal, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, f := range figs {
		if f.Detail != "" {
			fmt.Fprintf(w, "  %s: %s\n", f.Name, f.Detail)
		}
	}
	if err := writeJSON(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nresults written to %s\n", outPath())
	return nil
}

func sorted() []*figure {
	resMu.Lock()
	defer resMu.Unlock()
	figs := make([]*figure, 0, len(results))
	for _, f := range results {
		figs = append(figs, f)
	}
	sort.SliceStable(figs, func(i, j int) bool { return figs[i].order < figs[j].order })
	return figs
}

func outPath() string {
	if out := os.Getenv("HALOSYNC_BENCH_OUT"); out != "" {
		return out
	}
	return "results.json"
}

var machineOnce sync.Once

// writeJSON writes every figure recorded so far, with the machine and its load average at the time.
func writeJSON() error {
	machineOnce.Do(collectMachine)
	figs := sorted()
	doc := struct {
		TakenAt     time.Time         `json:"taken_at"`
		LoadAverage string            `json:"load_average"`
		Machine     map[string]string `json:"machine"`
		Figures     []*figure         `json:"figures"`
	}{time.Now().UTC().Truncate(time.Second), loadAverage(), machine, figs}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(outPath(), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", outPath(), err)
	}
	return nil
}

// loadAverage is /proc/loadavg's 1, 5 and 15-minute figures: the benchmarks' times depend on what else the
// machine runs, so every result says how loaded it was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// collectMachine describes the machine the figures were taken on.
func collectMachine() {
	machine["nproc"] = fmt.Sprint(runtime.NumCPU())
	machine["go"] = runtime.Version()
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				machine["cpu"] = strings.TrimSpace(v) + " × " + machine["nproc"]
				break
			}
		}
		_ = f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && k == "MemTotal" {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				machine["memory"] = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
		_ = f.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, testdb.ServerURL()); err == nil {
		var v string
		if conn.QueryRow(ctx, `SHOW server_version`).Scan(&v) == nil {
			machine["postgres"] = "PostgreSQL " + v
		}
		_ = conn.Close(ctx)
	}
}
