# Performance (docs/performance.md): `make bench-table` prints one table of sandrun against bare
# execution on this machine (latency, throughput, compile cache, memory, front ends); the README's
# "Performance" section quotes it. `make bench` prints it, then runs the Go benchmarks of every package (`make bench-go`).
#   BENCH_FLAGS="-n 50 -skip memory"   fewer runs, or sections left out (see -help)
#   GOJUDGE=/path/to/go-judge          adds a go-judge column to the side-by-side table (build it
#                                      yourself from github.com/criyle/go-judge; never in CI)
.PHONY: bench-table

BENCH_BIN   := bin/sandrun-bench
BENCH_FLAGS ?=

bench-table: build
	$(GO) build $(GOTAGS) -o $(BENCH_BIN) ./cmd/sandrun-bench
	./$(BENCH_BIN) -sandrun $(BIN) $(BENCH_FLAGS)
