package main

import (
	"log/slog"

	"github.com/halosync/halosync/store"
	hsync "github.com/halosync/halosync/sync"
)

// newGuard builds the Halo client's limiter: the connection and endpoint
// circuit breakers, and the request budget (HALO_RATE_LIMIT, validated by
// loadConfig) shared by every process through halosync.rate_budget. The
// worker's jobs snooze on long waits; `sync --once` waits in process.
func newGuard(cfg *Config, st *store.Store, log *slog.Logger) *hsync.Guard {
	n, w, _ := ParseRate(cfg.HaloRateLimit)
	return hsync.NewGuard(hsync.GuardConfig{Store: st, Log: log, Limit: n, Window: w})
}
