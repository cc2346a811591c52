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

.PHONY: run test bench lint vuln staticcheck promtool migrate seed seed-demo build services clean

services:
	@bash scripts/dev-services.sh

build:
	$(GO) build -o $(BIN) ./cmd/instainstru

## run: bring up dependencies, migrate, seed catalog and demo data, serve everything
run: services build
	./$(BIN) all

## test: bring up dependencies, then the whole suite with the race detector
test: services
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## bench: Go benchmarks (booking vs commit, cache, bookable time), then the loopback HTTP load
## benchmark: cached public availability next to a bare constant handler of the same server
bench: services build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s $(PKGS)
	./$(BIN) migrate
	./$(BIN) seed --demo
	LOG_LEVEL=warn ./$(BIN) bench-http
	LOG_LEVEL=warn ./$(BIN) bench-search -n 10000

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

clean:
	rm -rf bin
