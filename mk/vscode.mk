# VS Code extension (vscode-extension/): `make vsix` writes bin/sandrun.vsix, `make test-vscode` runs
# its unit tests, `make test-e2e-vscode` installs the .vsix into code-server (VS Code 1.100 in the
# browser) and drives "Sandrun: Run Snippet" with Playwright and Debian's chromium.
# .ci/install.d/50-vscode.sh installs code-server and chromium for the end-to-end test.
VSCODE_EXT      := vscode-extension
VSIX            := bin/sandrun.vsix
CODE_SERVER_DIR ?= /opt/sandrun-e2e/code-server
NPM             ?= npm

.PHONY: vsix test-vscode test-e2e-vscode vscode-deps

# npm ci only when package-lock.json changed since the last install.
$(VSCODE_EXT)/node_modules/.package-lock.json: $(VSCODE_EXT)/package-lock.json
	cd $(VSCODE_EXT) && $(NPM) ci --no-audit --no-fund
	@touch $@

vscode-deps: $(VSCODE_EXT)/node_modules/.package-lock.json

vsix: vscode-deps
	@mkdir -p bin
	cd $(VSCODE_EXT) && $(NPM) run --silent package

test-vscode: vscode-deps
	cd $(VSCODE_EXT) && $(NPM) test

test-e2e-vscode: build vsix
	@test -f $(CODE_SERVER_DIR)/node_modules/code-server/out/node/entry.js || { \
	  echo "code-server is not installed in $(CODE_SERVER_DIR): run (as root) bash .ci/install.d/50-vscode.sh, or set CODE_SERVER_DIR"; exit 1; }
	cd $(VSCODE_EXT) && SANDRUN_BIN=$(CURDIR)/$(BIN) SANDRUN_VSIX=$(CURDIR)/$(VSIX) \
	  CODE_SERVER_DIR=$(CODE_SERVER_DIR) ARTIFACTS_DIR=$(CURDIR)/test-artifacts $(NPM) run --silent e2e

# The end-to-end test fits CI: ~1 minute, plus 2-4 minutes for code-server in .ci/install.d/50-vscode.sh.
TEST_TARGETS += test-vscode test-e2e-vscode
