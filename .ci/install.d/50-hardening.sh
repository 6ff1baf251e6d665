#!/usr/bin/env bash
# The hostile-program suite (mk/hostile.mk): gcc for the programs, util-linux for unshare and
# setpriv, and an unprivileged user for the rootless run.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
	echo "50-hardening: not root: skipping (the hostile suite runs as root in CI)"
	exit 0
fi
command -v gcc >/dev/null && command -v unshare >/dev/null && command -v setpriv >/dev/null ||
	apt-get install -y -qq gcc libc6-dev util-linux
if ! id sandrun-hostile >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sandrun-hostile
fi
