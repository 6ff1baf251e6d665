#!/usr/bin/env bash
# More languages and runtimes for the languages' end-to-end test (docs/languages.md): Debian 12
# packages (clang, PyPy, Pike, Icon, Algol 68, BASIC, REXX, Haxe, Emacs Lisp, Icarus Verilog,
# LLVM's lli, more Schemes, Lisps, Forths and shells), then Bun, Deno and LiveScript from npm
# (the bun and deno npm packages carry their binaries). Idempotent: only what is missing is
# installed. On a fresh machine: about 400 MB downloaded, ~2 minutes; it prints its time.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"
start=$SECONDS

pkgs=(
  clang llvm pypy3 pike8.0 bc dc icont iconx algol68g yabasic regina-rexx haxe emacs-nox
  iverilog chicken-bin chezscheme gambc clisp ecl gprolog pforth jimsh tcc mawk hugs luajit
  zsh ksh fish picolisp newlisp smlnj gnucobol3
)

apt_install_missing 15-more-toolchains "${pkgs[@]}"

if ! command -v npm >/dev/null; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
need=()
command -v bun >/dev/null || need+=(bun@1.4)
command -v deno >/dev/null || need+=(deno@2.9)
command -v lsc >/dev/null || need+=(livescript@1.6)
if ((${#need[@]})); then
  echo "installing from npm: ${need[*]}"
  npm install -g --no-fund --no-audit "${need[@]}"
fi
# Their binaries come inside the packages; should npm have skipped the install scripts that
# put them in place, run them.
root=$(npm root -g)
bun --version >/dev/null 2>&1 || (cd "$root/bun" && node install.js)
deno --version >/dev/null 2>&1 || (cd "$root/deno" && node ./install.cjs)
echo "15-more-toolchains: $((SECONDS - start)) s"
