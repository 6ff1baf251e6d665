#!/bin/sh
# Captures the real output of each case here with the toolchains of this machine:
#   testdata/diagnostics/capture.sh [CASE...]   (from the repository root, after make build)
# Each case is a folder LANG-WHAT holding one source file; its output.json gets the compile and
# run output of `sandrun run --json`. Then `go test ./languages/diagnose -update` rewrites the
# want.json files from it: read their diff before committing.
set -eu
cd "$(dirname "$0")"
bin=../../bin/sandrun
[ $# -gt 0 ] || set -- $(ls -d */ | tr -d /)
for c in "$@"; do
	src=$(ls "$c" | grep -v '\.json$' | head -1)
	(cd "$c" && "../$bin" run --json --lang "${c%%-*}" "$src" </dev/null) |
		jq '{language, status, compile: (if .compile then {stdout: .compile.stdout, stderr: .compile.stderr} else null end), stdout, stderr}' >"$c/output.json"
	echo "$c: $(jq -r .status "$c/output.json")"
done
