// Package bench holds halosync's benchmarks (issue 11): request efficiency of an initial sync, ingest
// throughput against plain COPY, the cost of an incremental ticket pull on a small and a large mirror, use of
// Halo's rate budget, freshness in both directions, and the worker's peak memory.
//
// They drive the real thing: the fake Halo over HTTP, real Postgres (internal/testdb), the real sync and
// store packages in process, and the real binary (built from this checkout) for the figures that need the
// worker (rate budget, freshness, memory). Everything lives in _test.go files as Benchmark functions, so
// `go test ./...` compiles the package but runs none of it; `make bench` runs them once each:
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 4h ./bench/...
//
// After the run TestMain prints one table, each figure next to its goal, and writes the same figures as JSON
// to $HALOSYNC_BENCH_OUT (default bench/results.json), rewritten after every figure so a run stopped
// part-way keeps what it measured. A single part can be run with -bench, e.g. -bench Ingest; the table then
// holds only what ran.
package bench
