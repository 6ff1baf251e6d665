#!/usr/bin/env bash
# Go tools that `make lint` (part of `make test`) uses.
set -euo pipefail
export PATH="$(go env GOPATH)/bin:$PATH"
if ! command -v staticcheck >/dev/null; then
  go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
