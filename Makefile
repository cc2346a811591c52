# InstaInstru: the two commands are `make run` and `make test`. Both bring up PostgreSQL (with
# pgvector, btree_gist, pg_trgm) and Redis first, installing them from Debian's packages where
# they are missing (scripts/dev-services.sh).
SHELL := /bin/bash
GO ?= go
BIN := bin/instainstru
PKGS := ./...

export PATH := /usr/local/go/bin:$(PATH)

# Tools the lint steps use, installed on first use into bin/tools (never system-wide).
TOOLS := $(CURDIR)/bin/tools
STATICCHECK_VERSION := v0.8.2

.PHONY: run test bench bench-search-100k lint vuln staticcheck promtool migrate seed seed-demo build services clean cluster cluster-test proto load faults

services:
	@bash scripts/dev-services.sh

build:
	$(GO) build -o $(BIN) ./cmd/instainstru

## run: bring up dependencies, migrate, seed catalog and demo data, serve everything
run: services build
	./$(BIN) all

## test: bring up dependencies, then the whole suite with the race detector, then 20 seconds of
## fuzzing the search query reader (no panic, no error, invariants hold for any input)
test: services
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 20s ./search/query

## bench: Go benchmarks (booking vs commit, cache, bookable time), then the loopback HTTP load
## benchmark: cached public availability next to a bare constant handler of the same server
bench: services build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s $(PKGS)
	./$(BIN) migrate
	./$(BIN) seed --demo
	LOG_LEVEL=warn ./$(BIN) bench-http
	LOG_LEVEL=warn ./$(BIN) bench-search -n 10000

## bench-search-100k: the search benchmark at 100,000 instructors and 300,000 offers (loading
## takes about a minute and a half; the database is kept, so a second run with -reuse is quick)
bench-search-100k: services build
	LOG_LEVEL=warn ./$(BIN) bench-search -n 100000 -reuse

## lint: gofmt, go vet, staticcheck, govulncheck (against a database built locally from the
## golang.org/x/vulndb module: scripts/vulncheck.sh) and, when promtool can be had, the
## Prometheus configuration and alert rules
lint: staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(TOOLS)/staticcheck $(PKGS)
	TOOLS_BIN=$(TOOLS) bash scripts/vulncheck.sh
	TOOLS_BIN=$(TOOLS) bash scripts/promtool.sh

## vuln: govulncheck, failing on standard library findings too (they need a newer Go toolchain)
vuln:
	TOOLS_BIN=$(TOOLS) bash scripts/vulncheck.sh --strict

staticcheck:
	@if ! $(TOOLS)/staticcheck -version 2>/dev/null | grep -q "$(STATICCHECK_VERSION)"; then \
		echo "installing staticcheck $(STATICCHECK_VERSION) into $(TOOLS)"; \
		cd $$(mktemp -d) && GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

promtool:
	TOOLS_BIN=$(TOOLS) bash scripts/promtool.sh

migrate: services build
	./$(BIN) migrate

seed: services build
	./$(BIN) seed

seed-demo: services build
	./$(BIN) seed --demo

## cluster: three nodes on 127.0.0.1 (HTTP 8081-8083, actor remoting 7081-7083, membership
## 7181-7183) against one database, one actor cluster; prints their URLs, Ctrl-C stops them all
cluster: services build
	./$(BIN) migrate
	./$(BIN) seed --demo
	bash scripts/cluster.sh

## cluster-test: the multi-node acceptance test at full size (300 students, 3000 operations)
## and the remote-hop booking latency benchmark
cluster-test: services
	CLUSTER_TEST_FULL=1 $(GO) test -count=1 -v -timeout 20m -run TestThreeNodes ./clustertest/
	$(GO) test -count=1 -run '^$$' -bench RemoteHop -benchtime 1000x ./clustertest/

## load: private PostgreSQL and Redis (or LOAD_DATABASE_URL / LOAD_REDIS_URL), migrate, seed
## the catalog and 10,000 generated instructors, start `all` on loopback, drive the realistic mix
## for LOAD_DURATION (60s), print throughput, p50/p99 per endpoint, errors and the overlap audit
load: build
	BIN=$(BIN) bash scripts/load.sh

## faults: every fault scenario at full length on private PostgreSQL and Redis; one
## `PASS <name>` or `FAIL <name>: <why>` line each, non-zero exit on any failure (the short form
## runs in `make test`)
faults: services
	@set -o pipefail; FAULTS_FULL=1 $(GO) test -count=1 -v -timeout 20m ./faults/ 2>&1 | tee /tmp/instainstru-faults.log | grep -E '^(PASS|FAIL) '; \
	rc=$${PIPESTATUS[0]}; echo "(full log: /tmp/instainstru-faults.log)"; exit $$rc

## proto: regenerate actors/wire.pb.go (protoc from Debian's protobuf-compiler; protoc-gen-go at
## the google.golang.org/protobuf version of go.mod)
proto:
	GOBIN=$(CURDIR)/bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$$($(GO) list -m -f '{{.Version}}' google.golang.org/protobuf)
	cd actors && protoc --plugin=protoc-gen-go=$(CURDIR)/bin/protoc-gen-go --go_out=. --go_opt=paths=source_relative wire.proto

clean:
	rm -rf bin
