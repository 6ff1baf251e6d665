#!/bin/bash
# Runs as pid 1 of the cgroup v2 test VM (test/cgroup2/vm.sh), in the host's root seen read-only
# through a tmpfs overlay, with cgroup2 mounted alone. It runs, as root and then as an
# unprivileged user in a subtree delegated to it (as systemd's Delegate=yes does), `sandrun
# doctor`, the executor contract suite and the limit cases of the hostile suite, writes the log to
# the results share and ends with one marker line: "SANDRUN-CG2-RESULT: PASS" or "…: FAIL (why)".
# A VM contains anything hostile, so the hostile programs need no wrapper beyond guard.sh's.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# The artifacts may live under the host's /tmp (a CI clone there): take them before a fresh
# /tmp hides it.
mkdir -p /run/cg2stage
cp -r "${SANDRUN_CG2_DIR:?}"/. /run/cg2stage/
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run/user 2>/dev/null || true
hostname sandrun-cg2
ip link set lo up 2>/dev/null || true
# The initramfs put SANDRUN_CG2_DIR (the artifacts) and SANDRUN_CG2_USER in our environment.
out=/run/cg2out
log=$out/log
exec >"$log" 2>&1
src=/run/cg2stage
user=${SANDRUN_CG2_USER:-sandrun-hostile}
failures=()
finish() {
	if ((${#failures[@]})); then
		echo "SANDRUN-CG2-RESULT: FAIL (${failures[*]})"
	else
		echo "SANDRUN-CG2-RESULT: PASS"
	fi
	sync
	echo o >/proc/sysrq-trigger
	sleep 60
}
trap finish EXIT
step() { # step NAME COMMAND...: runs it, records a failure by name
	local name=$1
	shift
	echo "=== $name"
	local t0=$SECONDS
	if "$@"; then
		echo "--- ok: $name ($((SECONDS - t0)) s)"
	else
		echo "--- FAIL: $name ($((SECONDS - t0)) s)"
		failures+=("$name")
	fi
}
echo "kernel $(uname -r); cgroup controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
grep cgroup /proc/mounts

# The artifacts, where the unprivileged user can read them.
w=/tmp/cg2
mkdir -p $w/home
cp -r "$src"/. $w/
chmod -R a+rX $w
chown "$user" $w/home

# doctor must say that the sandbox uses cgroup v2 and that memory, processes and CPU time rest on it.
doctor() {
	"$@" $w/sandrun doctor --json --no-languages >$w/doctor.json
	local rc=$?
	cat $w/doctor.json
	[ $rc = 0 ] || { echo "doctor exited $rc"; return 1; }
	python3 - $w/doctor.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
if not d["cgroup"].get("in_use", "").startswith("v2"):
    bad.append("the sandbox does not use cgroup v2: %r" % d["cgroup"].get("in_use"))
for l in d["limits"]:
    if l["name"] in ("memory", "processes", "cpu time") and not (l["enforced"] and "cgroup v2" in l["by"]):
        bad.append("%s is not enforced by cgroup v2: %s" % (l["name"], l["by"]))
for b in bad:
    print("doctor:", b)
sys.exit(1 if bad else 0)
PY
}
as_user=(setpriv --reuid="$user" --regid="$user" --clear-groups --inh-caps=-all env HOME=$w/home)
# The cases whose limits rest on cgroups (memory, processes, CPU) and some that do not (output,
# disk). (A slash in -test.run splits levels: disk_fill_ runs the three disk fills.)
limit_cases='TestHostile/(busy_loop|fork_bomb|thread_bomb|memory_bomb|output_flood|disk_fill_|the_host_checks.*)$'

# --- as root
step "root: doctor" doctor
# Everything runs about ten times slower under emulation: the suites scale their time limits.
export SANDRUN_TEST_SLOWDOWN=${SANDRUN_TEST_SLOWDOWN:-10}
contract="./contract.test -test.count=1 -test.timeout=10m -test.run TestLocal/Statuses"
step "root: contract statuses" bash -c "cd $w && $contract"
step "root: hostile limit cases" bash -c "cd $w && HOSTILE_PROGRAMS=$w/programs $w/guard.sh ./hostile.test -test.v -test.count=1 -test.timeout=10m -test.run '$limit_cases'"

# --- as an unprivileged user in a delegated subtree, as systemd's user@UID.service: a cgroup
# owned by the user with the controllers available to it, and a session scope in it that holds
# the user's shell beside sandrun (as an editor's scope holds the editor beside `sandrun lsp`), so
# sandrun cannot use its own cgroup and must find the delegation above it.
deleg=/sys/fs/cgroup/user.slice/user-deleg.service
scope=$deleg/session.scope
mkdir -p $scope
for c in memory pids cpu; do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control
	echo "+$c" >/sys/fs/cgroup/user.slice/cgroup.subtree_control
done
for g in $deleg $scope; do
	chown "$user" $g $g/cgroup.procs $g/cgroup.subtree_control $g/cgroup.threads
done
in_deleg() { # runs "$@" as the user from a shell in the session scope that stays there
	bash -c 'echo $$ > '"$scope"'/cgroup.procs && { "$@"; exit $?; }' _ "${as_user[@]}" "$@"
}
step "rootless delegated: doctor" doctor in_deleg
step "rootless delegated: contract statuses" in_deleg bash -c "cd $w && $contract"
step "rootless delegated: hostile limit cases" bash -c "cd $w && HOSTILE_PROGRAMS=$w/programs HOME=$w/home $w/guard.sh --user $user --delegate ./hostile.test -test.v -test.count=1 -test.timeout=10m -test.run '$limit_cases'"
