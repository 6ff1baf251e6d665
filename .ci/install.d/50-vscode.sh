#!/usr/bin/env bash
# The VS Code extension's tests (make installs its npm packages itself): Debian's
# chromium, and code-server 4.100.3 (VS Code 1.100 in the browser, ~500 MB, 2-4 minutes the first
# time) in $CODE_SERVER_DIR for `make test-e2e-vscode`. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive
if ! command -v npm >/dev/null; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if ! command -v chromium >/dev/null; then
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
dir=${CODE_SERVER_DIR:-/opt/sandrun-e2e/code-server}
if node "$dir/node_modules/code-server/out/node/entry.js" --version 2>/dev/null | grep -q '^4\.100\.3 '; then
  echo "code-server 4.100.3 already in $dir"
else
  bash vscode-extension/e2e/install-code-server.sh "$dir"
fi
