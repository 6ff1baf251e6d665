//go:build linux

package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Every command gets a fresh cgroup (one per v1 hierarchy, or one v2 cgroup) named
// "<pid>-<starttime>-<n>" under a "sandrun" cgroup below this process's own cgroup. The name
// says which sandrun process made it, so leftovers of a crashed one are recognised (its pid is
// gone or has another start time) and removed at start-up, while other live sandrun processes'
// cgroups are left alone.
const cgParent = "sandrun"

// cgHost is what this host offers, found once per process.
type cgHost struct {
	version int               // 1, 2, or 0: no usable cgroup (rlimits only)
	v1      map[string]string // v1: controller → the "sandrun" dir in its hierarchy
	v2      string            // v2: the "sandrun" dir
	memsw   bool              // v1: memory.memsw.* exists (swap accounted)
	ctrls   []string          // controllers in use
	why     string            // when version is 0: the reason
	prefix  string            // "<pid>-<starttime>-"
	next    atomic.Int64
}

var (
	cgOnce sync.Once
	cgH    *cgHost
)

// hostCgroups detects the host's cgroups (once) and cleans leftovers of crashed sandruns in
// the background (a walk over every sandrun cgroup on the host: milliseconds a one-shot run
// need not wait for; it removes only cgroups of processes that no longer exist, never this
// one's).
func hostCgroups() *cgHost {
	cgOnce.Do(func() {
		cgH = detectCgroups()
		if cgH.version != 0 {
			go cgH.cleanLeftovers()
		}
	})
	return cgH
}

// v1Controllers are used where the host has them on a v1 hierarchy.
var v1Controllers = []string{"memory", "pids", "cpuacct"}

func detectCgroups() *cgHost {
	h := &cgHost{}
	st, err := procStartTime(os.Getpid())
	if err != nil {
		h.why = "cannot read this process's start time: " + err.Error()
		return h
	}
	h.prefix = fmt.Sprintf("%d-%d-", os.Getpid(), st)
	mounts, err := cgroupMounts()
	if err != nil {
		h.why = err.Error()
		return h
	}
	own, err := ownCgroups()
	if err != nil {
		h.why = err.Error()
		return h
	}
	var whyV1 string
	if _, ok := mounts.v1["memory"]; ok {
		h.v1 = map[string]string{}
		for _, c := range v1Controllers {
			m, ok := mounts.v1[c]
			if !ok {
				continue
			}
			dir := filepath.Join(m.dir, strings.TrimPrefix(own.v1[c], m.root), cgParent)
			if err := makeParent(dir, h.prefix); err != nil {
				if c == "memory" {
					whyV1 = fmt.Sprintf("cgroup v1: cannot create %s: %v", dir, err)
					break
				}
				continue
			}
			h.v1[c] = dir
			h.ctrls = append(h.ctrls, c)
		}
		if whyV1 == "" {
			_, err := os.Stat(filepath.Join(h.v1["memory"], "memory.memsw.limit_in_bytes"))
			h.memsw = err == nil
			h.version = 1
			return h
		}
		h.v1, h.ctrls = nil, nil
	}
	if mounts.v2 != "" {
		dir, ctrls, err := prepareV2(mounts.v2, strings.TrimPrefix(own.v2, strings.TrimSuffix(mounts.v2root, "/")), h.prefix)
		if err == nil {
			h.version, h.v2, h.ctrls = 2, dir, ctrls
			return h
		}
		h.why = err.Error()
	} else {
		h.why = "no cgroup v2 mount and no v1 memory controller"
	}
	if whyV1 != "" {
		h.why = whyV1 + "; " + h.why
	}
	return h
}

type cgMount struct{ dir, root string }

type cgMounts struct {
	v1     map[string]cgMount // controller → mount
	v2     string             // cgroup2 mount point ("" if none)
	v2root string
}

// cgroupMounts reads /proc/self/mountinfo for cgroup and cgroup2 mounts.
func cgroupMounts() (*cgMounts, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	defer f.Close()
	return parseMountinfo(f)
}

func parseMountinfo(r io.Reader) (*cgMounts, error) {
	ms := &cgMounts{v1: map[string]cgMount{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts [optional...] - fstype source superopts
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || len(fields) < sep+4 {
			continue
		}
		root, dir, fstype, super := unescape(fields[3]), unescape(fields[4]), fields[sep+1], fields[sep+3]
		switch fstype {
		case "cgroup2":
			if ms.v2 == "" {
				ms.v2, ms.v2root = dir, root
			}
		case "cgroup":
			for _, opt := range strings.Split(super, ",") {
				if _, seen := ms.v1[opt]; !seen {
					ms.v1[opt] = cgMount{dir: dir, root: root}
				}
			}
		}
	}
	return ms, sc.Err()
}

// unescape undoes mountinfo's octal escapes (\040 for a space…).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type ownCg struct {
	v1 map[string]string // controller → path
	v2 string
}

// ownCgroups reads /proc/self/cgroup.
func ownCgroups() (*ownCg, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	return parseProcCgroup(string(b)), nil
}

func parseProcCgroup(b string) *ownCg {
	o := &ownCg{v1: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			o.v2 = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			o.v1[c] = parts[2]
		}
	}
	return o
}

// procStartTime is field 22 of /proc/PID/stat: with the pid, it names a process uniquely.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, errors.New("malformed stat")
	}
	return strconv.ParseUint(fields[19], 10, 64) // field 22 overall; fields[0] is field 3
}

// parents are the "sandrun" dirs this host uses, one per hierarchy.
func (h *cgHost) parents() []string {
	if h.version == 2 {
		return []string{h.v2}
	}
	var ps []string
	for _, c := range h.ctrls {
		ps = append(ps, h.v1[c])
	}
	return ps
}

// cleanLeftovers removes the command cgroups of sandrun processes that no longer exist,
// killing whatever still runs in them.
func (h *cgHost) cleanLeftovers() {
	for _, p := range h.parents() {
		entries, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() || !leftover(e.Name()) {
				continue
			}
			removeCgroup(filepath.Join(p, e.Name()))
		}
	}
}

// leftover reports whether a command cgroup's name belongs to a sandrun process that is gone.
func leftover(name string) bool {
	parts := strings.Split(name, "-")
	if len(parts) != 3 {
		return false
	}
	pid, err1 := strconv.Atoi(parts[0])
	start, err2 := strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	st, err := procStartTime(pid)
	return err != nil || st != start
}

// removeCgroup kills every process in dir (a leaf) and removes it, retrying while the kernel
// finishes tearing the processes down.
func removeCgroup(dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if kill, kerr := os.OpenFile(filepath.Join(dir, "cgroup.kill"), os.O_WRONLY, 0); kerr == nil {
			kill.WriteString("1")
			kill.Close()
		} else if b, rerr := os.ReadFile(filepath.Join(dir, "cgroup.procs")); rerr == nil {
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		time.Sleep(time.Duration(i+1) * time.Millisecond)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}

// makeParent makes the "sandrun" cgroup dir if needed and proves that this process may make
// command cgroups in it (it may exist, made by another user).
func makeParent(dir, prefix string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	probe := filepath.Join(dir, prefix+"0")
	if err := os.Mkdir(probe, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return syscall.Rmdir(probe)
}
