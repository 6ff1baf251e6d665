#!/usr/bin/env bash
# Toolchains for the languages' end-to-end test (executor/languages_e2e_test.go): Debian 12
# packages, then TypeScript and CoffeeScript from npm. Idempotent: only what is missing is
# installed. On a fresh machine: about 600 MB downloaded, ~3 GB on disk, ~2 minutes.
# Already on the image, so not listed: gcc, g++, perl, python3, bash, dash, tclsh, mawk, sqlite3,
# OpenJDK 17, Node.js 20 (not Debian's: never apt-get install nodejs over it), Go, Rust (rustup).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt.sh"

pkgs=(
  ruby php-cli lua5.4 gawk tcl sqlite3 default-jdk-headless
  ocaml-nox fp-compiler fp-units-rtl gfortran gdc gnat gnucobol3 nasm binutils
  guile-3.0 sbcl racket clojure polyml gforth rakudo beef
  elixir erlang-nox swi-prolog-nox mono-mcs nim crystal valac
  ghc r-base-core octave kotlin scala groovy
)

apt_install_missing 10-toolchains "${pkgs[@]}"

# tsc finds @types/node through the --typeRoots in languages/defs/typescript.toml
# (/usr/lib/node_modules or /usr/local/lib/node_modules, where npm's global root is).
if ! command -v npm >/dev/null; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
root=$(npm root -g)
if ! command -v tsc >/dev/null || [ ! -d "$root/@types/node" ] || ! command -v coffee >/dev/null; then
  npm install -g --no-fund --no-audit typescript@5 @types/node@20 coffeescript@2
fi
