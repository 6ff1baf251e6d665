//go:build linux

package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox/seccomp"
)

// ProbeHost reports what this machine offers the sandbox (see Host).
func ProbeHost(ctx context.Context) Host {
	h := Host{OS: runtime.GOOS, Arch: runtime.GOARCH, UID: os.Geteuid()}
	h.Rootless = h.UID != 0
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	h.Namespaces = probeNamespaces(ctx, h.Rootless)
	for _, ns := range h.Namespaces {
		if !ns.OK {
			h.Problems = append(h.Problems, fmt.Sprintf("the %s namespace cannot be created: %s", ns.Name, ns.Detail))
		}
	}
	h.Cgroup = probeCgroups()
	h.Seccomp = Feature{Name: "seccomp", OK: true, Detail: filterSummary()}
	if err := seccomp.Available(); err != nil {
		h.Seccomp = Feature{Name: "seccomp", Detail: err.Error()}
		h.Problems = append(h.Problems, "seccomp filters are unavailable: "+err.Error())
	}
	cg := hostCgroups()
	h.Cgroup.InUse = "none (rlimits only): " + cg.why
	if cg.version != 0 {
		h.Cgroup.InUse = fmt.Sprintf("v%d: %s under %s", cg.version, strings.Join(cg.ctrls, ", "), strings.Join(cg.parents(), ", "))
	}
	h.Limits, h.Problems = probeLimits(cg, h.Rootless, h.Problems)
	st := commandStart()
	h.Start = Feature{Name: "command start", OK: st.fork, Detail: st.why}
	ie := initExecutable()
	h.Init = Feature{Name: "init", OK: ie.embedded, Detail: ie.why}
	return h
}

// probeNamespaceFlags are the namespaces a sandbox makes, in report order.
var probeNamespaceFlags = []struct {
	name, file string // file is the name under /proc/self/ns
	flag       uintptr
}{
	{"user", "user", syscall.CLONE_NEWUSER},
	{"mount", "mnt", syscall.CLONE_NEWNS},
	{"pid", "pid", syscall.CLONE_NEWPID},
	{"net", "net", syscall.CLONE_NEWNET},
	{"ipc", "ipc", syscall.CLONE_NEWIPC},
	{"uts", "uts", syscall.CLONE_NEWUTS},
	{"cgroup", "cgroup", syscall.CLONE_NEWCGROUP},
}

// probeNamespaces starts /bin/true in each new namespace (inside a new user namespace when
// rootless, as the sandbox does).
func probeNamespaces(ctx context.Context, rootless bool) []Feature {
	trueBin, err := exec.LookPath("true")
	if err != nil {
		trueBin = "/bin/true"
	}
	var out []Feature
	for _, ns := range probeNamespaceFlags {
		f := Feature{Name: ns.name}
		if _, err := os.Stat("/proc/self/ns/" + ns.file); err != nil {
			f.Detail = "the kernel does not have it"
			out = append(out, f)
			continue
		}
		attr := &syscall.SysProcAttr{Cloneflags: ns.flag}
		if rootless || ns.flag == syscall.CLONE_NEWUSER {
			attr.Cloneflags |= syscall.CLONE_NEWUSER
			attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
			attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
			attr.GidMappingsEnableSetgroups = false
		}
		cmd := exec.CommandContext(ctx, trueBin)
		cmd.SysProcAttr = attr
		if err := cmd.Run(); err != nil {
			f.Detail = err.Error()
			if ns.name == "user" {
				f.Detail += probeUserNSHint()
			}
		} else {
			f.OK = true
		}
		out = append(out, f)
	}
	return out
}

// probeUserNSHint names the sysctl that is blocking unprivileged user namespaces, if any.
func probeUserNSHint() string {
	for _, s := range []struct{ file, bad, fix string }{
		{"/proc/sys/kernel/unprivileged_userns_clone", "0", "sysctl -w kernel.unprivileged_userns_clone=1"},
		{"/proc/sys/user/max_user_namespaces", "0", "sysctl -w user.max_user_namespaces=15000"},
		{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for sandrun"},
	} {
		if b, err := os.ReadFile(s.file); err == nil && strings.TrimSpace(string(b)) == s.bad {
			return fmt.Sprintf(" (%s is %s; as root: %s)", s.file, s.bad, s.fix)
		}
	}
	return ""
}

// probeCgMount is one cgroup mount from /proc/self/mountinfo.
type probeCgMount struct {
	root, point string
	v2          bool
	controllers []string // v1 only
}

func probeCgroupMounts() []probeCgMount {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []probeCgMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		a, b := strings.Fields(pre), strings.Fields(post)
		if !ok || len(a) < 5 || len(b) < 3 {
			continue
		}
		switch b[0] {
		case "cgroup2":
			out = append(out, probeCgMount{root: a[3], point: a[4], v2: true})
		case "cgroup":
			m := probeCgMount{root: a[3], point: a[4]}
			for _, o := range strings.Split(b[2], ",") {
				if o != "rw" && o != "ro" && !strings.Contains(o, "=") {
					m.controllers = append(m.controllers, o)
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// probeOwnCgroups maps "" (v2) and each v1 controller to this process's cgroup path.
func probeOwnCgroups() map[string]string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

// probeCgroupDir joins a mount point and a cgroup path seen from a mount whose root is root.
func probeCgroupDir(m probeCgMount, path string) string {
	rel, err := filepath.Rel(m.root, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = "."
	}
	return filepath.Join(m.point, rel)
}

func probeCgroups() Cgroups {
	own := probeOwnCgroups()
	var cg Cgroups
	var v1 []Controller
	v1Seen := map[string]bool{}
	var v2 *probeCgMount
	for _, m := range probeCgroupMounts() {
		if m.v2 {
			if v2 == nil || m.point == "/sys/fs/cgroup" {
				m := m
				v2 = &m
			}
			continue
		}
		for _, c := range m.controllers {
			if v1Seen[c] || !probeWantedV1[c] {
				continue
			}
			v1Seen[c] = true
			dir := probeCgroupDir(m, own[c])
			ctl := Controller{Name: c, Version: "v1", Path: dir, Writable: unix.Access(dir, unix.W_OK) == nil}
			if c == "memory" {
				if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err != nil {
					ctl.Detail = "swap is not accounted (no memory.memsw.*): a program could use swap beyond the limit"
				} else {
					ctl.Detail = "swap accounted (memory.memsw.*)"
				}
			}
			v1 = append(v1, ctl)
		}
	}
	cg.Controllers = v1
	switch {
	case v2 != nil && len(v1) == 0:
		cg.Version = "v2"
	case v2 != nil:
		cg.Version = "hybrid"
	case len(v1) > 0:
		cg.Version = "v1"
	default:
		cg.Version = "none"
	}
	if v2 != nil {
		cg.Unified = v2.point
		dir := probeCgroupDir(*v2, own[""])
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		avail := strings.Fields(string(b))
		for _, c := range []string{"memory", "pids", "cpu"} {
			if v1Seen[c] || (c == "cpu" && v1Seen["cpuacct"]) {
				continue // the controller is bound to a v1 hierarchy
			}
			ctl := Controller{Name: c, Version: "v2", Path: dir}
			if !probeContains(avail, c) {
				ctl.Detail = "not enabled in " + filepath.Join(dir, "cgroup.controllers")
			} else {
				ctl.Writable = unix.Access(dir, unix.W_OK) == nil
				if !ctl.Writable {
					ctl.Detail = "not writable by uid " + fmt.Sprint(os.Geteuid()) + " (no delegation)"
				}
			}
			cg.Controllers = append(cg.Controllers, ctl)
		}
	}
	return cg
}

// probeWantedV1 are the v1 controllers the sandbox uses.
var probeWantedV1 = map[string]bool{"memory": true, "pids": true, "cpu": true, "cpuacct": true}

func probeContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// probeLimits says which limits hold, from the cgroups the sandbox itself will use (h), and
// adds the problems.
func probeLimits(h *cgHost, rootless bool, problems []string) ([]Limit, []string) {
	has := map[string]bool{}
	for _, c := range h.ctrls {
		has[c] = true
	}
	cg := fmt.Sprintf("cgroup v%d ", h.version)
	if h.version == 0 {
		problems = append(problems, "no cgroup is usable, so limits fall back to rlimits: "+h.why)
	}
	var out []Limit
	switch {
	case has["memory"] && h.version == 1 && !h.memsw:
		out = append(out, Limit{Name: "memory", Enforced: true, By: cg + "memory controller (swap not accounted: no memory.memsw.*)"})
	case has["memory"]:
		out = append(out, Limit{Name: "memory", Enforced: true, By: cg + "memory controller"})
	default:
		out = append(out, Limit{Name: "memory", Enforced: true, By: "RLIMIT_DATA only (private writable memory; address space merely reserved is free, so JVMs, V8 and Go start): allocations over it fail inside the program; sandrun reports memory_limit when the runtime names the failure"})
		problems = append(problems, "the memory limit is only RLIMIT_DATA (private writable memory), not a cgroup")
	}
	switch {
	case has["pids"]:
		out = append(out, Limit{Name: "processes", Enforced: true, By: cg + "pids controller, RLIMIT_NPROC as a backstop"})
	case !rootless:
		out = append(out, Limit{Name: "processes", Enforced: true, By: "RLIMIT_NPROC only (each sandbox runs as its own uid)"})
	default:
		out = append(out, Limit{Name: "processes", Enforced: true, By: "RLIMIT_NPROC only, counted in each sandbox's own user namespace"})
		problems = append(problems, "the process limit is only RLIMIT_NPROC, not a pids cgroup")
	}
	switch {
	case has["cpuacct"] || (h.version == 2 && has["cpu"]):
		out = append(out, Limit{Name: "cpu time", Enforced: true, By: "all processes of a run together, measured by " + cg + "CPU accounting; RLIMIT_CPU as a backstop"})
	default:
		out = append(out, Limit{Name: "cpu time", Enforced: true, By: "RLIMIT_CPU per process: a program that forks is stopped by the wall-clock limit instead"})
	}
	out = append(out,
		Limit{Name: "wall time", Enforced: true, By: "sandrun kills the run's PID namespace"},
		Limit{Name: "output", Enforced: true, By: "sandrun counts the bytes it reads from the pipes"},
		Limit{Name: "file size", Enforced: true, By: "RLIMIT_FSIZE and size-capped tmpfs for /work, /tmp and /dev/shm"},
		Limit{Name: "open files", Enforced: true, By: "RLIMIT_NOFILE"},
		Limit{Name: "network", Enforced: true, By: "empty network namespace (only lo)"},
	)
	return out, problems
}

// filterSummary says in one line what the seccomp filter allows.
func filterSummary() string {
	allowed, stricter := 0, 0
	for _, r := range seccomp.Policy() {
		if r.Action == seccomp.Allow || r.When != "" && r.Otherwise == seccomp.Allow {
			allowed++
		}
		if r.Override != "" {
			stricter++
		}
	}
	return fmt.Sprintf("deny by default: Docker's allow-list (%d calls) with %d stricter rules; non-native ABIs (int 0x80, x32) are killed", allowed, stricter)
}
