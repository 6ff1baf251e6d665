//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// v2Wanted are the v2 controllers the command cgroups use; memory is required.
var v2Wanted = []string{"memory", "pids", "cpu"}

// prepareV2 finds or makes a v2 "sandrun" cgroup whose children may have memory (and pids, cpu)
// limits, enabling the controllers on the way. It tries below this process's own cgroup first
// (so limits on it cover the runs; this is what a delegated cgroup offers a non-root user).
// Where the own cgroup cannot be used because it holds other processes too (a rootless sandrun
// started by an editor shares the editor's scope), a non-root user tries each ancestor that it
// may manage, which is the subtree systemd delegates to the user (user@UID.service, with
// Delegate=yes): the runs' cgroups then sit beside the editor's, still inside the delegation. As
// root, where the own cgroup cannot be used (a login session's scope holds other processes), it
// uses the root of the hierarchy, as container runtimes do.
func prepareV2(mount, own, prefix string) (string, []string, error) {
	base := filepath.Join(mount, own)
	dir, ctrls, err := prepareV2Below(base, prefix)
	if err == nil || filepath.Clean(own) == "/" {
		return dir, ctrls, err
	}
	if os.Geteuid() != 0 {
		return prepareV2Delegated(mount, base, prefix, err)
	}
	dir, ctrls, rerr := prepareV2Below(mount, prefix)
	if rerr != nil {
		return "", nil, fmt.Errorf("%v; at the root: %w", err, rerr)
	}
	return dir, ctrls, nil
}

// prepareV2Delegated walks up from base (whose own attempt failed with first) through the
// ancestors this user may manage, nearest first, and uses the first that can hold a "sandrun"
// cgroup with the controllers. A command's process moves from this process's cgroup into one
// below that ancestor, which the kernel allows because the user may write the common
// ancestor's cgroup.procs.
func prepareV2Delegated(mount, base, prefix string, first error) (string, []string, error) {
	errs := []string{first.Error()}
	mount = filepath.Clean(mount)
	for a := filepath.Dir(base); len(a) > len(mount) && strings.HasPrefix(a, mount+"/"); a = filepath.Dir(a) {
		if unix.Access(filepath.Join(a, "cgroup.procs"), unix.W_OK) != nil {
			break // the delegation ends here
		}
		dir, ctrls, err := prepareV2Below(a, prefix)
		if err == nil {
			return dir, ctrls, nil
		}
		errs = append(errs, err.Error())
	}
	return "", nil, fmt.Errorf("%s; %s", strings.Join(errs, "; "), delegationHint)
}

// delegationHint says how a non-root user gets a cgroup v2 subtree of their own.
const delegationHint = "no cgroup subtree is delegated to this user: start sandrun in one, e.g. " +
	"`systemd-run --user --scope -p Delegate=yes sandrun …` (or the editor that runs it), or ask for " +
	"systemd's default delegation of the memory, pids and cpu controllers to user@UID.service"

// prepareV2Below makes base/sandrun with the controllers enabled for its children. A v2 cgroup
// with processes cannot enable controllers for its children (but the root can): when the only
// process in base is this one, it moves itself into a "sandrun-host" leaf first, as delegated
// cgroups (systemd Delegate=yes) expect.
func prepareV2Below(base, prefix string) (string, []string, error) {
	avail, err := os.ReadFile(filepath.Join(base, "cgroup.controllers"))
	if err != nil {
		return "", nil, fmt.Errorf("cgroup v2: %w", err)
	}
	var ctrls []string
	for _, c := range v2Wanted {
		if slices.Contains(strings.Fields(string(avail)), c) {
			ctrls = append(ctrls, c)
		}
	}
	if !slices.Contains(ctrls, "memory") {
		return "", nil, fmt.Errorf("cgroup v2: the memory controller is not available in %s (have: %q)", base, strings.TrimSpace(string(avail)))
	}
	if err := enableControllers(base, ctrls); err != nil {
		if !errors.Is(err, syscall.EBUSY) {
			return "", nil, err
		}
		procs, _ := os.ReadFile(filepath.Join(base, "cgroup.procs"))
		if strings.TrimSpace(string(procs)) != strconv.Itoa(os.Getpid()) {
			return "", nil, fmt.Errorf("cgroup v2: %s holds other processes, so it cannot give controllers to children; run sandrun in a cgroup of its own (e.g. systemd-run --user --scope -p Delegate=yes)", base)
		}
		leaf := filepath.Join(base, cgParent+"-host")
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return "", nil, fmt.Errorf("cgroup v2: %w", err)
		}
		if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte("0"), 0); err != nil {
			return "", nil, fmt.Errorf("cgroup v2: move into %s: %w", leaf, err)
		}
		if err := enableControllers(base, ctrls); err != nil {
			return "", nil, err
		}
	}
	dir := filepath.Join(base, cgParent)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("cgroup v2: %w", err)
	}
	if err := enableControllers(dir, ctrls); err != nil {
		return "", nil, err
	}
	if err := makeParent(dir, prefix); err != nil {
		return "", nil, fmt.Errorf("cgroup v2: %w", err)
	}
	return dir, ctrls, nil
}

// enableControllers turns ctrls on in dir's cgroup.subtree_control (those already on stay).
func enableControllers(dir string, ctrls []string) error {
	cur, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return fmt.Errorf("cgroup v2: %w", err)
	}
	var add []string
	for _, c := range ctrls {
		if !slices.Contains(strings.Fields(string(cur)), c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(add, " ")), 0); err != nil {
		return fmt.Errorf("cgroup v2: enable %s in %s: %w", strings.Join(add, " "), dir, err)
	}
	return nil
}
