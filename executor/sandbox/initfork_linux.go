//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox/internal/rawfork"
)

// preforkRaw starts the next command's child (setup.Fork): a raw clone of the init that joins
// the command's cgroups (cloned into the v2 dir when into is set) and waits for its command
// (package internal/rawfork). It stands where a stage-2 would.
func (in *initProc) preforkRaw(cgroups []*os.File, into bool) (*warmStage2, error) {
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	p := &rawfork.Plan{CgroupFD: -1, CloneFlags: syscall.CLONE_NEWIPC, UID: in.setup.UID, GID: in.setup.GID,
		SetGroups: !in.setup.Rootless, LastCap: in.lastCap, Filter: in.filter, Region: in.region, Sock: pair[1]}
	procs := cgroups
	if into {
		procs = cgroups[1:]
	}
	for _, f := range procs {
		p.Procs = append(p.Procs, int(f.Fd()))
	}
	peer := sockInode(pair[1])
	var pid int
	if into && !in.noInto.Load() {
		// Cloned straight into the v2 cgroup. The kernel checks the destination against the
		// init's cgroup namespace (where cgroup2 is mounted with nsdelegate, a command cgroup
		// beside the host's own leaf is outside it): then the child joins through cgroup.procs,
		// opened by the host, whose namespace the kernel checks instead; and so do the next.
		p.CgroupFD = int(cgroups[0].Fd())
		pid, err = rawfork.Prefork(p)
		if err != nil {
			in.noInto.Store(true)
			fmt.Fprintf(os.Stderr, "sandbox init: %v; joining through cgroup.procs instead\n", err)
			p.CgroupFD = -1
		}
	}
	if p.CgroupFD < 0 {
		pid, err = rawfork.Prefork(p)
	}
	syscall.Close(pair[1])
	if err != nil {
		syscall.Close(pair[0])
		return nil, fmt.Errorf("start the command's process: %w", err)
	}
	return &warmStage2{pid: pid, sock: pair[0], cgroups: cgroups, into: into, peer: peer}, nil
}

// handRaw writes the command of spec where the waiting child w reads it and hands it its stdio
// (files). A child that died while it waited is replaced once.
func (in *initProc) handRaw(w *warmStage2, spec *runSpec, files []*os.File) (*warmStage2, error) {
	if len(spec.Args) == 0 {
		return w, errors.New("bad request")
	}
	dir := spec.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("/work", dir)
	}
	c := &rawfork.Command{Paths: execCandidates(spec.Args[0], spec.Env), Args: spec.Args, Env: spec.Env, Dir: dir,
		DataLimit: spec.DataLimit}
	for _, rl := range spec.Rlimits {
		c.Rlimits = append(c.Rlimits, rawfork.Rlimit{Resource: rl.Resource, Limit: unix.Rlimit{Cur: rl.Cur, Max: rl.Max}})
	}
	if err := in.region.Put(c); err != nil {
		return w, fmt.Errorf("exec %s: %w", spec.Args[0], err)
	}
	stdio := [3]int{int(files[0].Fd()), int(files[1].Fd()), int(files[2].Fd())}
	err := rawfork.Hand(w.sock, stdio)
	if err == nil {
		return w, nil
	}
	// It died before its command came (the PID namespace's kill of the last run cannot reach
	// it: it is started after; a memory limit could): start another in the same cgroups.
	syscall.Close(w.sock)
	nw, perr := in.preforkRaw(w.cgroups, w.into)
	if perr != nil {
		w.sock = -1
		return w, fmt.Errorf("hand over: %v; restart: %w", err, perr)
	}
	if err := rawfork.Hand(nw.sock, stdio); err != nil {
		return nw, fmt.Errorf("hand over: %w", err)
	}
	return nw, nil
}

// execCandidates are the paths the child tries to execve, in order: file itself when it has a
// slash, else file in each directory of the PATH in env (not the host's), as a shell would.
func execCandidates(file string, env []string) []string {
	if strings.Contains(file, "/") {
		return []string{file}
	}
	var out []string
	for _, dir := range filepath.SplitList(pathOf(env)) {
		if dir == "" {
			dir = "."
		}
		out = append(out, filepath.Join(dir, file))
	}
	if len(out) == 0 {
		out = []string{file}
	}
	return out
}

func pathOf(env []string) string {
	path := "/usr/local/bin:/usr/bin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	return path
}

// forkFailure turns a forked child's messages into the sentence the host reports: the same
// words the stage-2 used.
func forkFailure(spec *runSpec) func([]byte) string {
	return func(b []byte) string {
		step, errno, ok := rawfork.ParseFailure(b)
		if !ok {
			return fmt.Sprintf("exec %s: unreadable failure of %d bytes", spec.Args[0], len(b))
		}
		switch step {
		case rawfork.StepExec:
			if errno == syscall.ENOENT && !strings.Contains(spec.Args[0], "/") {
				return fmt.Sprintf("exec %s: executable file not found in PATH %s", spec.Args[0], pathOf(spec.Env))
			}
			return fmt.Sprintf("exec %s: %v", spec.Args[0], errno)
		case rawfork.StepChdir:
			dir := spec.Dir
			if !filepath.IsAbs(dir) {
				dir = filepath.Join("/work", dir)
			}
			return fmt.Sprintf("chdir %s: %v", dir, errno)
		}
		return fmt.Sprintf("%v: %v", step, errno)
	}
}
