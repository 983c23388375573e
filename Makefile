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

.PHONY: all build run test bench bench-table fuzz vet clean screenshots

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
	@mkdir -p bin
	$(GO) test -run=NONE -bench=. -benchmem -benchtime=$(BENCHTIME) -timeout 60m ./... | tee bin/bench.txt
	@$(MAKE) --no-print-directory bench-table

# The issue-15 targets read from the last `make bench` (bin/bench.txt, or
# BENCHOUT=file): measured, target, met or not. A target missing from the
# run prints "not run". Rows: benchmark, metric, comparison, target, and
# for ratios a second benchmark and metric that divide the first.
BENCHOUT ?= bin/bench.txt
define BENCH_TARGETS
4 page of 100, any depth (account)|BenchmarkControlPlaneMillion/PageAnyDepth/account|p99-ms|<=|2
4 page of 100, any depth (tunnel)|BenchmarkControlPlaneMillion/PageAnyDepth/tunnel|p99-ms|<=|2
4 path filter, one tunnel, a page (no match)|BenchmarkControlPlaneMillion/PathFilterPage/tunnel/none|p99-ms|<=|50
4 path filter, one tunnel, a page (1 in 10k)|BenchmarkControlPlaneMillion/PathFilterPage/tunnel/rare|p99-ms|<=|50
4 path filter, one tunnel, whole 1M history|BenchmarkControlPlaneMillion/PathFilterWhole/tunnel/none|p99-ms|<=|50
4 monthly statement|BenchmarkControlPlaneMillion/MonthStatement|p99-ms|<=|100
4 SSE delivery p99 µs, 100 subscribers, 1k req/s|BenchmarkSSEFanout|p99-µs|<=|50000
4 SSE events lost|BenchmarkSSEFanout|lost|<=|0
4 SSE floor p99 µs: bare flushing handler|BenchmarkSSEFanoutFloor|p99-µs|<=|50000
5 Reserve at 100k items / CreateKey, same run|BenchmarkWriteFlat/items=100000/Reserve|ns/op|<=|1.5|BenchmarkWriteFlat/items=100000/CreateKey|ns/op
5 ReservePort at 100k items / CreateKey|BenchmarkWriteFlat/items=100000/ReservePort|ns/op|<=|1.5|BenchmarkWriteFlat/items=100000/CreateKey|ns/op
5 AddDomain at 100k items / CreateKey|BenchmarkWriteFlat/items=100000/AddDomain|ns/op|<=|1.5|BenchmarkWriteFlat/items=100000/CreateKey|ns/op
5 OpenTunnel at 100k items / CreateKey|BenchmarkWriteFlat/items=100000/OpenTunnel|ns/op|<=|1.5|BenchmarkWriteFlat/items=100000/CreateKey|ns/op
6 log appends / floorGroup64, same run (guard)|BenchmarkAppendRatio|log_floor_ratio|>=|0.9
endef
export BENCH_TARGETS

bench-table:
	@printf '%s\n' "$$BENCH_TARGETS" | awk -F'|' -v out=$(BENCHOUT) ' \
	BEGIN { while ((getline line < out) > 0) { n = split(line, f, /[ \t]+/); \
		if (f[1] !~ /^Benchmark/) continue; name = f[1]; sub(/-[0-9]+$$/, "", name); \
		for (i = 3; i < n; i += 2) v[name "|" f[i+1]] = f[i] } \
		printf "%-48s %12s %10s  %s\n", "target (issue 15 item)", "measured", "target", "met" } \
	{ k = $$2 "|" $$3; if (!(k in v)) { printf "%-48s %12s %10s  %s\n", $$1, "-", $$4 " " $$5, "not run"; next } \
		m = v[k]; if ($$6 != "") { d = $$6 "|" $$7; if (!(d in v) || v[d] == 0) { printf "%-48s %12s %10s  %s\n", $$1, "-", $$4 " " $$5, "not run"; next }; m = m / v[d] } \
		ok = ($$4 == "<=") ? (m <= $$5) : (m >= $$5); \
		printf "%-48s %12.3g %10s  %s\n", $$1, m, $$4 " " $$5, ok ? "met" : "NOT met" }'

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
