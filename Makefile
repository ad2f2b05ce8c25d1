# halosync developer entry points. `make help` lists them.
#
# Tests need a Postgres where they may CREATE DATABASE. TEST_DATABASE_URL wins when set; otherwise
# `make test` starts a throwaway cluster (deploy/local/postgres.sh: .local/pg, a free port on 127.0.0.1)
# and points the tests at it. It installs headless Chromium and promtool first when they are missing
# (deploy/local/tools.sh: Debian's chromium and prometheus packages via apt-get).

SHELL   := bash
GO      ?= go
PGLOCAL := bash deploy/local/postgres.sh
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

# Shell prefix that exports TEST_DATABASE_URL from the local cluster when it is not set.
ENSURE_TEST_DB = if [ -z "$${TEST_DATABASE_URL:-}" ]; then \
	  TEST_DATABASE_URL="$$($(PGLOCAL) start)" || exit 1; \
	  export TEST_DATABASE_URL; \
	  echo "TEST_DATABASE_URL=$$TEST_DATABASE_URL (local cluster; make db-stop stops it)"; \
	fi

.PHONY: help test tools soak bench demo build vet db-start db-stop db-status clean

SEEDS ?= 10000

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

test: tools ## run all tests (starts the local Postgres when TEST_DATABASE_URL is unset)
	@$(ENSURE_TEST_DB); \
	$(GO) test -p 2 -count=1 -timeout 14m ./...

tools: ## install what the tests drive when missing: headless chromium (/status test), promtool (alert rules)
	@bash deploy/local/tools.sh all >/dev/null

soak: ## run SEEDS convergence histories (default 10000; internal/converge); the last line sums them up
	@$(ENSURE_TEST_DB); \
	log=$$(mktemp); sum=$$(mktemp); \
	CONVERGE_SEEDS=$(SEEDS) CONVERGE_SUMMARY=$$sum $(GO) test -count=1 -timeout 0 -run '^TestConverge$$' \
	  ./internal/converge/ >$$log 2>&1; rc=$$?; \
	if [ $$rc -ne 0 ]; then grep -v '^\(ok\|FAIL\)\b' $$log | grep -v '^--- FAIL' ; fi; \
	if [ -s $$sum ]; then cat $$sum; else echo "converge: harness failed before the summary (log: $$log)"; rc=1; fi; \
	rm -f $$sum; [ $$rc -ne 0 ] || rm -f $$log; exit $$rc

bench: ## run the benchmarks once each
	@$(ENSURE_TEST_DB); \
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 4h ./bench/...

demo: ## fake Halo + worker against the local Postgres (see deploy/local/demo.sh)
	bash deploy/local/demo.sh

build: ## build bin/halosync
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/halosync ./cmd/halosync

vet: ## gofmt check + go vet
	@unformatted=$$(find . -path ./.git -prune -o -path ./.local -prune -o -path ./bin -prune -o \
	  -name '*.go' -print | xargs gofmt -l); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

db-start: ## start the local Postgres cluster and print its URL
	@$(PGLOCAL) start

db-stop: ## stop the local Postgres cluster
	@$(PGLOCAL) stop

db-status: ## is the local Postgres running, and where
	@$(PGLOCAL) status

clean: ## remove build output and coverage files (the local cluster stays; deploy/local/postgres.sh destroy removes it)
	rm -rf bin/ coverage.out coverage.html *.coverprofile
