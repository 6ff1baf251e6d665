#!/usr/bin/env bash
# The browser page's tests: Debian's Chromium for the headless browser test, and the pinned npm
# packages (esbuild to rebuild the bundle for `make web-check`, playwright-core to drive Chromium).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null; then
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
if ! command -v npm >/dev/null; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
(cd web/ui && npm ci --no-audit --no-fund)
(cd web/e2e && npm ci --no-audit --no-fund)
