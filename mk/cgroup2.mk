# cgroup v2 in a VM (test/cgroup2, docs/hardening.md): boots Debian's kernel with qemu (KVM when
# it boots here, else software emulation), cgroup2 mounted alone, the host's root read-only over
# 9p under a tmpfs overlay, and runs `sandrun doctor`, the executor contract suite and the
# hostile suite's limit cases as root and as an unprivileged user in a delegated cgroup subtree.
# .ci/install.d/60-cgroup2.sh installs qemu and busybox-static and unpacks the kernel.
.PHONY: test-cgroup2

CG2_DIR := bin/cgroup2
TEST_TARGETS += test-cgroup2

test-cgroup2: build
	@if [ "$$(id -u)" != 0 ]; then echo "test-cgroup2: FAIL: needs root (qemu's 9p share of / and the test user); CI runs as root"; exit 1; fi
	rm -rf $(CG2_DIR) && mkdir -p $(CG2_DIR)
	cp $(BIN) test/hostile/guard.sh $(CG2_DIR)/
	cp -r testdata/hostile $(CG2_DIR)/programs
	$(GO) test $(GOTAGS) -c -o $(CG2_DIR)/contract.test ./executor/executortest
	$(GO) test $(GOTAGS) -c -o $(CG2_DIR)/hostile.test ./test/hostile
	bash test/cgroup2/vm.sh $(CG2_DIR)
