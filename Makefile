# InstaInstru: the two commands are `make run` and `make test`. Both bring up PostgreSQL (with
# pgvector, btree_gist, pg_trgm) and Redis first, installing them from Debian's packages where
# they are missing (scripts/dev-services.sh).
SHELL := /bin/bash
GO ?= go
BIN := bin/instainstru
PKGS := ./...

export PATH := /usr/local/go/bin:$(PATH)

.PHONY: run test bench bench-search-100k lint migrate seed seed-demo build services clean

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

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

migrate: services build
	./$(BIN) migrate

seed: services build
	./$(BIN) seed

seed-demo: services build
	./$(BIN) seed --demo

clean:
	rm -rf bin
