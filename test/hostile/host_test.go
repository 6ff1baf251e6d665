package hostile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// snapshot is the host state a case must leave as it found it.
type snapshot struct {
	procs   map[int]string // processes in this PID namespace: pid → command line
	cgroups map[string]bool
	free    map[string]int64 // mount → bytes free
}

// proc is one process as /proc shows it.
type proc struct {
	pid     int
	cmdline string
	ownNS   bool // in this process's PID namespace (not a sandbox's)
	nsPid   int  // its pid in its innermost namespace
	state   string
}

func listProcs() []proc {
	self, _ := os.Readlink("/proc/self/ns/pid")
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		ns, err := os.Readlink(filepath.Join(dir, "ns", "pid"))
		if err != nil {
			continue // gone
		}
		p := proc{pid: pid, ownNS: ns == self}
		b, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		st, _ := os.ReadFile(filepath.Join(dir, "status"))
		for _, line := range strings.Split(string(st), "\n") {
			k, v, _ := strings.Cut(line, ":")
			f := strings.Fields(v)
			switch {
			case k == "NSpid" && len(f) > 0:
				p.nsPid, _ = strconv.Atoi(f[len(f)-1])
			case k == "State" && len(f) > 0:
				p.state = f[0]
			}
		}
		out = append(out, p)
	}
	return out
}

// ownCgroupDirs lists every cgroup directory at or below this process's own cgroups (the
// guard's, under which the sandbox makes its own). A hierarchy where this process sits at the
// root is skipped: other programs' cgroups live there too.
func ownCgroupDirs() map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return out
	}
	mounts := cgroupMounts()
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[2] == "/" {
			continue
		}
		key := parts[1] // "" for v2, else the v1 controllers ("cpu,cpuacct", "name=systemd")
		mnt, ok := mounts[key]
		if !ok {
			continue
		}
		filepath.WalkDir(filepath.Join(mnt, parts[2]), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && filepath.Base(p) != "sandrun" {
				out[p] = true
			}
			return nil
		})
	}
	return out
}

// cgroupMounts maps "" to the cgroup2 mount point and each v1 hierarchy's controller list (as
// /proc/self/cgroup names it) to its mount point.
func cgroupMounts() map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		a, f := strings.Fields(pre), strings.Fields(post)
		if !ok || len(a) < 5 || len(f) < 3 {
			continue
		}
		switch f[0] {
		case "cgroup2":
			out[""] = a[4]
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(f[2], ",") {
				switch {
				case o == "rw" || o == "ro" || o == "xattr" || o == "clone_children" || o == "noprefix" || o == "cpuset_v2_mode":
				case strings.Contains(o, "=") && !strings.HasPrefix(o, "name="):
				default:
					ctrls = append(ctrls, o)
				}
			}
			out[strings.Join(ctrls, ",")] = a[4]
		}
	}
	return out
}

var watchedMounts = []string{"/", "/tmp", "/dev/shm"}

func takeSnapshot() snapshot {
	s := snapshot{procs: map[int]string{}, cgroups: ownCgroupDirs(), free: map[string]int64{}}
	for _, p := range listProcs() {
		if p.ownNS {
			s.procs[p.pid] = p.cmdline
		}
	}
	seen := map[uint64]bool{}
	for _, m := range watchedMounts {
		var fi syscall.Stat_t
		var st syscall.Statfs_t
		if syscall.Stat(m, &fi) != nil || seen[fi.Dev] || syscall.Statfs(m, &st) != nil {
			continue // a mount on the same filesystem as one already watched counts once
		}
		seen[fi.Dev] = true
		s.free[m] = int64(st.Bavail) * st.Bsize
	}
	return s
}

// leftovers lists what a case left behind, compared with before: new processes in this
// namespace, program processes in any sandbox namespace, new cgroups.
func leftovers(before snapshot) []string {
	var out []string
	for _, p := range listProcs() {
		switch {
		case p.ownNS && before.procs[p.pid] == "" && p.pid != 1:
			out = append(out, fmt.Sprintf("process %d (%s, state %s) outside any sandbox", p.pid, p.cmdline, p.state))
		case !p.ownNS && p.nsPid != 1:
			out = append(out, fmt.Sprintf("process %d (%s, state %s) still running in a sandbox", p.pid, p.cmdline, p.state))
		}
	}
	for dir := range ownCgroupDirs() {
		if !before.cgroups[dir] {
			out = append(out, "cgroup "+dir)
		}
	}
	sort.Strings(out)
	return out
}

// checkHost asserts the host is as before the case: no leftovers (waiting a little for the
// teardown), the sentinel alive, no disk or shared-memory space gone.
func (s *suite) checkHost(t *testing.T, before snapshot) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if left = leftovers(before); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, l := range left {
		t.Errorf("left behind: %s", l)
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.sentinel.Process.Pid))
	if f := strings.Fields(string(st)); err != nil || len(f) < 3 || f[2] == "Z" || f[2] == "X" {
		t.Errorf("the host's sentinel process %d is dead (%v, %q)", s.sentinel.Process.Pid, err, st)
	}
	after := takeSnapshot()
	for m := range before.free {
		limit := int64(64 << 20)
		if m == "/" {
			limit = 1 << 30 // a shared machine's disk moves; an escaped disk fill writes 2 GiB
		}
		if d := before.free[m] - after.free[m]; d > limit {
			t.Errorf("%s lost %d MiB of free space during the case", m, d>>20)
		}
	}
	if n := s.accepted.Load(); n != 0 {
		t.Errorf("the host's 127.0.0.1 listener accepted %d connections from a sandbox", n)
	}
}

// absent asserts that none of paths exists on the host.
func absent(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists on the host", p)
			os.Remove(p)
		}
	}
}
