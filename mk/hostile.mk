# The hostile-program suite (test/hostile, testdata/hostile), run as root in its protective PID
# namespace and cgroup (test/hostile/guard.sh), then again as the unprivileged user
# sandrun-hostile (rootless mode). See docs/sandbox.md, "Hostile programs".
#   make test-hostile            both
#   make test-hostile-root       as root
#   make test-hostile-rootless   as sandrun-hostile (.ci/install.d/50-hardening.sh creates it)
.PHONY: test-hostile test-hostile-root test-hostile-rootless hostile-bin

HOSTILE_TEST  := bin/hostile.test
HOSTILE_USER  ?= sandrun-hostile
HOSTILE_FLAGS ?= -test.v -test.count=1 -test.timeout=20m

TEST_TARGETS += test-hostile

test-hostile: test-hostile-root test-hostile-rootless

hostile-bin: initexe
	$(GO) test $(GOTAGS) -c -o $(HOSTILE_TEST) ./test/hostile

test-hostile-root: hostile-bin
	@if [ "$$(id -u)" != 0 ]; then echo "test-hostile-root: FAILED: the hostile suite needs root for its protective cgroup and PID namespace; run it as root (CI does), or run make test-go for the rest" >&2; exit 1; fi; \
	cd test/hostile && ./guard.sh $(CURDIR)/$(HOSTILE_TEST) $(HOSTILE_FLAGS)

# The binary and the programs are copied where the unprivileged user can read them.
test-hostile-rootless: hostile-bin
	@if [ "$$(id -u)" != 0 ]; then echo "test-hostile-rootless: FAILED: it needs root to start the suite as $(HOSTILE_USER); run it as root (CI does), or run make test-go for the rest" >&2; exit 1; fi; \
	if ! id $(HOSTILE_USER) >/dev/null 2>&1; then echo "test-hostile-rootless: no user $(HOSTILE_USER): run .ci/install.d/50-hardening.sh"; exit 1; fi; \
	tmp=$$(mktemp -d /tmp/sandrun-hostile.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
	cp $(HOSTILE_TEST) "$$tmp/" && cp -r testdata/hostile "$$tmp/programs" && chmod -R a+rX "$$tmp" && \
	cd "$$tmp" && HOSTILE_PROGRAMS="$$tmp/programs" HOME="$$tmp" $(CURDIR)/test/hostile/guard.sh --user $(HOSTILE_USER) ./hostile.test $(HOSTILE_FLAGS)
