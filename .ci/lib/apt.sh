# Shared by the steps in .ci/install.d (sourced, never run as a step of its own: .ci/deps runs
# only .ci/install.d/*.sh).

# apt_install_missing NAME PKG...: installs those of the Debian packages PKG that are not
# installed yet (when all are, nothing runs), refreshing apt's lists once if the first try fails.
# apt-get's output goes to /tmp/NAME-apt.log; on failure its tail is shown and the step exits 1.
apt_install_missing() {
  local name=$1 p
  shift
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "installing ${#missing[@]} Debian packages: ${missing[*]}"
  local log=/tmp/$name-apt.log
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 && return 0
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 || { tail -30 "$log"; exit 1; }
}
