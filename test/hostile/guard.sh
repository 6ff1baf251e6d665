#!/usr/bin/env bash
# guard.sh [--user NAME [--delegate]] TESTBINARY [ARGS...]
#
# Runs the hostile-program test binary where even a sandbox escape cannot reach the rest of the
# machine: as pid 1 of a fresh PID namespace with its own /proc (unshare --pid --fork
# --mount-proc; kill(-1) from there reaches only the test's own processes; pid 1 reaps orphans
# and runs the tests as its child), inside a cgroup
# capped at HOSTILE_PIDS tasks and HOSTILE_MEMORY bytes (a fork or memory bomb that escaped its
# sandbox still stops there). With --user, the binary runs as that unprivileged user (the
# rootless suite); with --delegate too (cgroup v2 only), the tests run in a cgroup subtree owned
# by that user, with the memory, pids and cpu controllers given to it, as systemd's Delegate=yes
# gives one to every login (the rootless sandbox then has real cgroup limits). Must be started as root; the cgroup is removed afterwards.
set -euo pipefail

user=""
delegate=""
if [ "${1:-}" = "--user" ]; then user=$2; shift 2; fi
if [ "${1:-}" = "--delegate" ]; then delegate=1; shift; fi
[ $# -ge 1 ] || { echo "usage: guard.sh [--user NAME [--delegate]] TESTBINARY [ARGS...]" >&2; exit 2; }
[ -z "$delegate" ] || [ -n "$user" ] || { echo "guard.sh: --delegate needs --user" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "guard.sh: must run as root: it makes a cgroup and a PID namespace" >&2; exit 1; }

pids_max=${HOSTILE_PIDS:-2048}
mem_max=${HOSTILE_MEMORY:-$((4 << 30))}
name="sandrun-hostile-guard-$$"
made=()
test_cgroup="" # v2: the cgroup the tests must be alone in (the reaper starts them there)

# own_cgroup CONTROLLER: this shell's cgroup path in that v1 hierarchy ("" for v2).
own_cgroup() {
	awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 } ($2 == "" && c == "") { print $3 }' /proc/self/cgroup | head -n1
}

cleanup() {
	for d in "${made[@]}"; do
		# Move this shell out, kill anything left, then remove the (now empty) cgroup tree.
		echo $$ > "${d%/*}/cgroup.procs" 2>/dev/null || true
		if [ -f "$d/cgroup.procs" ]; then
			while read -r p; do kill -9 "$p" 2>/dev/null || true; done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
		fi
		sleep 0.2
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}
trap cleanup EXIT

if [ -n "$delegate" ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
	echo "guard.sh: --delegate needs a cgroup v2 host (cgroup2 alone at /sys/fs/cgroup)" >&2
	exit 1
fi
if [ -f /sys/fs/cgroup/pids/cgroup.procs ] && [ -f /sys/fs/cgroup/memory/cgroup.procs ]; then
	# cgroup v1 (or hybrid): one guard cgroup in each hierarchy the sandbox uses, so the
	# sandbox's own per-run cgroups nest under it.
	for c in pids memory cpuacct cpu; do
		[ -f "/sys/fs/cgroup/$c/cgroup.procs" ] || continue
		d="/sys/fs/cgroup/$c$(own_cgroup "$c")/$name"
		d=${d//\/\//\/}
		mkdir "$d"
		made+=("$d")
		case $c in
		pids) echo "$pids_max" > "$d/pids.max" ;;
		memory)
			echo "$mem_max" > "$d/memory.limit_in_bytes"
			[ -f "$d/memory.memsw.limit_in_bytes" ] && echo "$mem_max" > "$d/memory.memsw.limit_in_bytes"
			;;
		esac
		echo $$ > "$d/cgroup.procs"
	done
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	# cgroup v2: a guard cgroup at the root (the root may enable controllers for children),
	# holding two leaves: "wrap" for this shell, unshare and the reaper, "test" for the tests
	# alone (the sandbox needs a cgroup of its own to hand controllers to its runs).
	for c in pids memory cpu; do echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true; done
	d="/sys/fs/cgroup/$name"
	mkdir "$d"
	made+=("$d")
	echo "$pids_max" > "$d/pids.max"
	echo "$mem_max" > "$d/memory.max"
	echo 0 > "$d/memory.swap.max" 2>/dev/null || true
	if [ -z "$delegate" ]; then
		mkdir "$d/wrap" "$d/test"
		echo $$ > "$d/wrap/cgroup.procs"
		for c in pids memory cpu; do echo "+$c" > "$d/cgroup.subtree_control" 2>/dev/null || true; done
		test_cgroup="$d/test"
	else
		# "deleg" is the user's delegated subtree, as systemd's user@UID.service: it and
		# everything below it belong to the user (the files delegation hands over included), the
		# controllers are enabled in it, and it holds two leaves: "wrap" for this shell and the
		# reaper, "test" for the tests. Every move the sandbox makes has a common ancestor the
		# user may write.
		for c in pids memory cpu; do echo "+$c" > "$d/cgroup.subtree_control" 2>/dev/null || true; done
		mkdir "$d/deleg"
		for c in pids memory cpu; do echo "+$c" > "$d/deleg/cgroup.subtree_control" 2>/dev/null || true; done
		mkdir "$d/deleg/wrap" "$d/deleg/test"
		for g in "$d/deleg" "$d/deleg/wrap" "$d/deleg/test"; do
			chown "$user" "$g" "$g/cgroup.procs" "$g/cgroup.subtree_control" "$g/cgroup.threads"
		done
		echo $$ > "$d/deleg/wrap/cgroup.procs"
		test_cgroup="$d/deleg/test"
	fi
else
	echo "guard.sh: no cgroup pids controller found: refusing to run hostile programs without a pids limit" >&2
	exit 1
fi

run=()
if [ -n "$user" ]; then
	uid=$(id -u "$user")
	gid=$(id -g "$user")
	# The rootless sandbox needs its cgroups delegated to be able to use them: without
	# --delegate it gets none, so the suite shows what holds with rlimits alone.
	run=(setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --)
fi
status=0
# pid 1 of the new namespace is the test binary as a reaper; it runs the tests as its child.
SANDRUN_HOSTILE_GUARD=1 SANDRUN_HOSTILE_TEST_CGROUP="$test_cgroup" \
	unshare --pid --fork --mount-proc --kill-child "${run[@]}" "$@" || status=$?
exit $status
