# Rootless mode, as on a laptop without root: the CLI's end-to-end tests (sandrun run, watch,
# serve, lsp, executor, doctor against the real sandbox) and the executor contract suite (every
# status, stdin, cancel, concurrency, interactive input) run again as the unprivileged user of
# the hostile suite (.ci/install.d/50-hardening.sh creates it), so user namespaces and no
# cgroups. The test binary and its testdata are copied where that user can read them.
.PHONY: test-rootless

ROOTLESS_USER ?= sandrun-hostile
TEST_TARGETS  += test-rootless

test-rootless: initexe
	@if [ "$$(id -u)" != 0 ]; then echo "test-rootless: FAILED: it needs root to run the suites as $(ROOTLESS_USER); run it as root (CI does), or run make test-go, which runs rootless as this user" >&2; exit 1; fi; \
	if ! id $(ROOTLESS_USER) >/dev/null 2>&1; then echo "test-rootless: no user $(ROOTLESS_USER): run .ci/install.d/50-hardening.sh"; exit 1; fi; \
	tmp=$$(mktemp -d /tmp/sandrun-rootless.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	mkdir -p "$$tmp/cmd/sandrun" "$$tmp/home" && cp -r testdata README.md "$$tmp/" && \
	$(GO) test $(GOTAGS) -c -o "$$tmp/cmd/sandrun/cmd.test" ./cmd/sandrun && \
	$(GO) test $(GOTAGS) -c -o "$$tmp/contract.test" ./executor/executortest && \
	chmod -R a+rX "$$tmp" && chown $(ROOTLESS_USER) "$$tmp/home" && \
	cd "$$tmp/cmd/sandrun" && echo "cmd/sandrun tests as $(ROOTLESS_USER) (rootless)" && \
	HOME="$$tmp/home" setpriv --reuid=$(ROOTLESS_USER) --regid=$(ROOTLESS_USER) --clear-groups \
		./cmd.test -test.count=1 -test.timeout=15m && \
	echo "executor contract suite as $(ROOTLESS_USER) (rootless)" && \
	HOME="$$tmp/home" setpriv --reuid=$(ROOTLESS_USER) --regid=$(ROOTLESS_USER) --clear-groups \
		../../contract.test -test.count=1 -test.timeout=15m
