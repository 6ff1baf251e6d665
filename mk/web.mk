# The browser page (web/ui → web/static) and its browser test. See docs/web-ui.md.
#   make web            rebuild web/static from web/ui (needs Node and npm; commit the result)
#   make web-check      fail when web/static differs from a fresh build of web/ui
#   make test-web-unit  unit tests of the page's helpers and highlighters (Node)
#   make test-web-e2e   drive bin/sandrun serve in headless Chromium (needs chromium, playwright-core)
.PHONY: web web-check test-web-unit test-web-e2e

WEB_UI  := web/ui
WEB_E2E := web/e2e

$(WEB_UI)/node_modules/.package-lock.json: $(WEB_UI)/package-lock.json
	cd $(WEB_UI) && npm ci --no-audit --no-fund
	touch $@

$(WEB_E2E)/node_modules/.package-lock.json: $(WEB_E2E)/package-lock.json
	cd $(WEB_E2E) && npm ci --no-audit --no-fund
	touch $@

web: $(WEB_UI)/node_modules/.package-lock.json
	cd $(WEB_UI) && node build.mjs

web-check: $(WEB_UI)/node_modules/.package-lock.json
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd $(WEB_UI) && node build.mjs --outdir "$$tmp/static") && \
	if ! diff -r "$$tmp/static" web/static >/dev/null; then \
	  diff -rq "$$tmp/static" web/static; \
	  echo "web/static is stale: run 'make web' and commit web/static"; exit 1; \
	fi && echo "web-check: web/static matches a fresh build of web/ui"

test-web-unit: $(WEB_UI)/node_modules/.package-lock.json
	node --test web/ui/test/

test-web-e2e: build $(WEB_E2E)/node_modules/.package-lock.json
	cd $(WEB_E2E) && SANDRUN_BIN=$(CURDIR)/$(BIN) node --test page.test.mjs

TEST_TARGETS += web-check test-web-unit test-web-e2e
