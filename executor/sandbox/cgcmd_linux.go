//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cmdCgroup is one command's cgroup (a dir per v1 hierarchy, or one v2 dir). It is made ahead
// of the command (start_linux.go says how the command gets into it); the limits are written and
// the counters read as baselines when the command starts, before it is in it.
type cmdCgroup struct {
	version int
	dirs    map[string]string // v1: controller → dir; v2: "" → dir
	// procs is what the init needs to place the command: cgroup.procs of each dir (the child
	// or the stage-2 writes itself into them; on v1 a raw-cloned child, one thread, writes
	// itself into each dir's tasks instead), after, when into is set, the v2 dir itself, which
	// the child is cloned into (CLONE_INTO_CGROUP) where the init's cgroup namespace allows.
	procs  []*os.File
	into   bool
	memory bool // the memory controller is here
	cpu    bool // CPU time can be read here
	pids   bool // the pids controller is here
	memsw  bool // v1: swap is accounted (memory.memsw.*)

	baseCPU time.Duration // used before the command started (by the waiting process)
	peak    *os.File      // v2: memory.peak, reset through this fd where the kernel allows
}

// newCmdCgroup makes a command cgroup, without limits yet, or returns nil when the host has no
// usable cgroup (then rlimits are all there is). into asks for the v2 dir to be opened for
// CLONE_INTO_CGROUP instead of its cgroup.procs. oneThread says the process that joins is a
// single thread (the raw clone of start_linux.go, not a Go stage-2): on v1 it then joins
// through each dir's tasks file, which moves the writing thread only, so the kernel need not
// lock every thread group (a write to a v1 cgroup.procs waits for an RCU grace period,
// ~10 ms here, and a one-shot run's first command follows its sandbox's creation at once).
func newCmdCgroup(into, oneThread bool) (*cmdCgroup, error) {
	h := hostCgroups()
	if h.version == 0 {
		return nil, nil
	}
	name := h.prefix + strconv.FormatInt(h.next.Add(1), 10)
	c := &cmdCgroup{version: h.version, dirs: map[string]string{}, memsw: h.memsw}
	fail := func(err error) (*cmdCgroup, error) {
		c.release()
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	if h.version == 2 {
		dir := filepath.Join(h.v2, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return fail(err)
		}
		c.dirs[""] = dir
		c.memory, c.pids, c.cpu = slices.Contains(h.ctrls, "memory"), slices.Contains(h.ctrls, "pids"), true
		if c.memory {
			_ = writeFile(dir, "memory.swap.max", 0) // absent without swap accounting
			_ = writeFile(dir, "memory.oom.group", 1)
		}
	} else {
		for _, ctrl := range h.ctrls {
			dir := filepath.Join(h.v1[ctrl], name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				return fail(err)
			}
			c.dirs[ctrl] = dir
		}
		_, c.memory = c.dirs["memory"]
		_, c.pids = c.dirs["pids"]
		_, c.cpu = c.dirs["cpuacct"]
		if c.memory && !c.memsw {
			_ = writeFile(c.dirs["memory"], "memory.swappiness", 0)
		}
	}
	if into && c.version == 2 {
		f, err := os.OpenFile(c.dirs[""], os.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			return fail(err)
		}
		c.procs, c.into = []*os.File{f}, true
	}
	join := "cgroup.procs"
	if c.version == 1 && oneThread {
		join = "tasks"
	}
	for _, dir := range c.dirs {
		f, err := os.OpenFile(filepath.Join(dir, join), os.O_WRONLY, 0)
		if err != nil && join == "tasks" {
			f, err = os.OpenFile(filepath.Join(dir, "cgroup.procs"), os.O_WRONLY, 0) // slower, as sure
		}
		if err != nil {
			return fail(err)
		}
		c.procs = append(c.procs, f)
	}
	return c, nil
}

// limit writes the command's limits and takes the baselines, right before it starts.
func (c *cmdCgroup) limit(l Limits) error {
	if c.version == 2 {
		dir := c.dirs[""]
		if c.memory && l.Memory > 0 {
			if err := writeFile(dir, "memory.max", l.Memory); err != nil {
				return fmt.Errorf("cgroup: %w", err)
			}
		}
		if c.pids && l.Processes > 0 {
			if err := writeFile(dir, "pids.max", int64(l.Processes)); err != nil {
				return fmt.Errorf("cgroup: %w", err)
			}
		}
		if c.memory {
			// Linux 6.12+: a write resets the peak seen through this file; before, it is the
			// peak since the cgroup was made (the waiting process included).
			f, err := os.OpenFile(filepath.Join(dir, "memory.peak"), os.O_RDWR, 0)
			if err == nil {
				if _, err := f.WriteString("reset\n"); err != nil {
					f.Close()
					f = nil
				}
			}
			if f == nil {
				f, _ = os.Open(filepath.Join(dir, "memory.peak"))
			}
			c.peak = f
		}
	} else {
		if dir, ok := c.dirs["memory"]; ok {
			if l.Memory > 0 {
				if err := setV1Memory(dir, l.Memory, c.memsw); err != nil {
					return err
				}
			}
			_ = writeFile(dir, "memory.max_usage_in_bytes", 0) // resets the peak to the usage now
		}
		if dir, ok := c.dirs["pids"]; ok && l.Processes > 0 {
			if err := writeFile(dir, "pids.max", int64(l.Processes)); err != nil {
				return fmt.Errorf("cgroup: %w", err)
			}
		}
	}
	c.baseCPU, _ = c.cpuTotal()
	return nil
}

// setV1Memory sets the memory limit and, where swap is accounted, memory+swap to the same
// value, so that nothing can be swapped out. memsw may never be below the memory limit, so the
// order depends on whether the limit goes down or up.
func setV1Memory(dir string, v int64, memsw bool) error {
	files := []string{"memory.limit_in_bytes"}
	if memsw {
		files = append(files, "memory.memsw.limit_in_bytes")
		if cur, err := readInt(filepath.Join(dir, "memory.limit_in_bytes")); err == nil && v > cur {
			files[0], files[1] = files[1], files[0]
		}
	}
	for _, f := range files {
		if err := writeFile(dir, f, v); err != nil {
			return fmt.Errorf("cgroup: set %s to %d: %w", f, v, err)
		}
	}
	return nil
}

// release closes the files and removes the dirs (empty by then: the init reaped every process).
func (c *cmdCgroup) release() error {
	c.closeProcs()
	if c.peak != nil {
		c.peak.Close()
	}
	var errs []error
	for _, dir := range c.dirs {
		errs = append(errs, removeCgroup(dir))
	}
	return errors.Join(errs...)
}

func writeFile(dir, name string, v int64) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(strconv.FormatInt(v, 10)), 0)
}

// closeProcs closes the cgroup.procs files (or the v2 dir) once the init has them.
func (c *cmdCgroup) closeProcs() {
	closeAll(c.procs)
	c.procs = nil
}

// cpuTime is the CPU time the command has used so far, all its processes together.
func (c *cmdCgroup) cpuTime() (time.Duration, bool) {
	t, ok := c.cpuTotal()
	return max(t-c.baseCPU, 0), ok
}

func (c *cmdCgroup) cpuTotal() (time.Duration, bool) {
	if c.version == 2 {
		v, ok := keyedValue(filepath.Join(c.dirs[""], "cpu.stat"), "usage_usec")
		return time.Duration(v) * time.Microsecond, ok
	}
	dir, ok := c.dirs["cpuacct"]
	if !ok {
		return 0, false
	}
	v, err := readInt(filepath.Join(dir, "cpuacct.usage"))
	return time.Duration(v), err == nil
}

type cgStats struct {
	cpu           time.Duration
	peak          int64
	oom           bool
	cpuOK, peakOK bool
}

// stats reads what the command used once it is over.
func (c *cmdCgroup) stats() cgStats {
	var st cgStats
	st.cpu, st.cpuOK = c.cpuTime()
	if c.version == 2 {
		dir := c.dirs[""]
		if c.peak != nil {
			buf := make([]byte, 32)
			if n, err := c.peak.ReadAt(buf, 0); n > 0 && (err == nil || err == io.EOF) {
				p, err := strconv.ParseInt(strings.TrimSpace(string(buf[:n])), 10, 64)
				st.peak, st.peakOK = p, err == nil
			}
		}
		n, _ := keyedValue(filepath.Join(dir, "memory.events"), "oom_kill")
		st.oom = n > 0
		return st
	}
	if dir, ok := c.dirs["memory"]; ok {
		p, err := readInt(filepath.Join(dir, "memory.max_usage_in_bytes"))
		st.peak, st.peakOK = p, err == nil
		n, _ := keyedValue(filepath.Join(dir, "memory.oom_control"), "oom_kill")
		st.oom = n > 0
	}
	return st
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// keyedValue reads "key value" lines (cpu.stat, memory.events, memory.oom_control).
func keyedValue(path, key string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
