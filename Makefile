# sandrun — build, run, test. `make run` and `make test` are the two commands a new machine needs.
# Parts of the project add their own targets in mk/*.mk and append to TEST_TARGETS there.
GO      ?= go
BIN     := bin/sandrun
LDFLAGS ?=
TEST_TARGETS := test-go

.PHONY: build run test test-go lint bench clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sandrun

# Starts the product on its embedded defaults: the browser page and API on 127.0.0.1:8080.
run: build
	./$(BIN) serve --addr 127.0.0.1:8080

-include mk/*.mk

# Every test. CI (.ci/run) calls exactly this.
test: $(TEST_TARGETS)

test-go: build
	$(GO) test -race -count=1 -timeout 20m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed: go install honnef.co/go/tools/cmd/staticcheck@latest"; fi

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 200x ./...

clean:
	rm -rf bin
