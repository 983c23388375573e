# Warren's build. `make run` serves on http://localhost:8080 with data in
# ./data; `make test` is what CI runs (.ci/run).

GO        ?= go
BIN       ?= bin/warren
# The server's settings; each also reads its environment twin.
WARREN_DATA   ?= ./data
WARREN_ADDR   ?= :8080
WARREN_DOMAIN ?= localhost
# Benchmarks: time per benchmark (`make bench BENCHTIME=5s`, or 1x for one pass).
BENCHTIME ?= 2s
# Fuzzing: time per fuzz target in `make fuzz`, and which packages.
FUZZTIME  ?= 30s
FUZZPKGS  ?= ./...

.PHONY: all build run test bench fuzz vet clean screenshots

all: build

build:
	$(GO) build -o $(BIN) ./cmd/warren

# On the first start of an empty data dir, serve prints the URL and the
# operator's first API key (once).
run: build
	./$(BIN) serve --data $(WARREN_DATA) --addr $(WARREN_ADDR) --domain $(WARREN_DOMAIN)

vet:
	$(GO) vet ./...

# Plain `go test` also runs every fuzz target on its seed corpus (the f.Add
# seeds and testdata/fuzz/), so this covers the fuzz seeds without -fuzz.
test: vet
	$(GO) test -race -count=1 -timeout 30m ./...

# The dashboard's pages as PNGs, taken by the browser tests in real
# Chromium (docs/images/ holds two of them).
screenshots:
	$(GO) test -count=1 -artifacts -outputdir $(CURDIR)/bin/screenshots ./cmd/warren/internal/browser
	@find bin/screenshots -name '*.png' | sort

bench:
	$(GO) test -run=NONE -bench=. -benchmem -benchtime=$(BENCHTIME) -timeout 60m ./...

# Short coverage-guided runs, one target at a time (go test -fuzz takes one).
fuzz:
	@set -e; for pkg in $$($(GO) list $(FUZZPKGS)); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run=NONE -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin
