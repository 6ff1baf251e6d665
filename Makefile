# sandrun — build, run, test. `make run` and `make test` are the two commands a new machine needs.
# Parts of the project add their own targets in mk/*.mk and append to TEST_TARGETS there.
GO      ?= go
BIN     := bin/sandrun
LDFLAGS ?=
# A static binary: no dynamic loader or libc start in each of the two processes a one-shot
# `sandrun run` starts (the host and the sandbox's init, a re-exec of this binary); only net and
# os/user used cgo, and their pure-Go versions read /etc/hosts, /etc/resolv.conf and /etc/passwd.
CGO_ENABLED_BUILD ?= 0
# The sandbox's init is a small binary of its own (executor/sandbox/cmd/sandrun-init), built
# first and embedded in sandrun under the build tag sandrun_initexe: a sandbox then starts in
# about 1 ms instead of the ~6 ms this whole binary takes to start (docs/performance.md).
# Every target that builds or tests Go code builds it first and passes GOTAGS; a plain
# `go build` or `go test` embeds none and re-executes its own binary as the init instead.
INITEXE := executor/sandbox/internal/initexe/sandrun-init
GOTAGS  := -tags sandrun_initexe
TEST_TARGETS := lint test-go

.PHONY: build run deps test test-go lint bench bench-go clean initexe

initexe:
	CGO_ENABLED=0 $(GO) build -ldflags '-s -w' -o $(INITEXE) ./executor/sandbox/cmd/sandrun-init
	sha256sum $(INITEXE) > $(INITEXE).sha256

build: initexe
	CGO_ENABLED=$(CGO_ENABLED_BUILD) $(GO) build $(GOTAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sandrun

# Starts the product on its embedded defaults: the browser page and API on 127.0.0.1:8080.
run: build
	./$(BIN) serve --addr 127.0.0.1:8080

-include mk/*.mk

# Installs what the tests need (apt and npm packages, code-server, staticcheck, a test user);
# idempotent, and quick when everything is there. Needs root; without it, it only says so.
deps:
	bash .ci/deps

# Every test. CI (.ci/run) calls exactly this.
test: deps $(TEST_TARGETS)

# The timeout catches hangs only: on a loaded 2-core machine (load average 40-90) the packages
# that compile and run every language take several times as long as on a quiet one.
test-go: build
	$(GO) test $(GOTAGS) -race -count=1 -timeout 45m ./...

# gofmt, go vet and staticcheck (installed by .ci/install.d/05-go-tools.sh).
STATICCHECK ?= $(shell command -v staticcheck || echo $$($(GO) env GOPATH)/bin/staticcheck)
lint: initexe
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet $(GOTAGS) ./executor/sandbox/internal/initexe
	@if [ -x "$(STATICCHECK)" ]; then echo "staticcheck ./..."; "$(STATICCHECK)" ./...; \
	else echo "staticcheck is not installed: bash .ci/install.d/05-go-tools.sh"; exit 1; fi

# The table of sandrun against bare execution (mk/bench.mk, docs/performance.md), then every
# package's Go benchmarks. Never part of `make test`: timings on shared machines are noisy.
bench: bench-table bench-go

bench-go: build
	$(GO) test $(GOTAGS) -run '^$$' -bench . -benchtime 200x ./...

clean:
	rm -rf bin $(INITEXE) $(INITEXE).sha256
