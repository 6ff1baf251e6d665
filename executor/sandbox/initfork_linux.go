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

// fork starts the command of spec from the init (setup.Fork): a raw clone whose child joins
// the cgroup w names, takes files as its stdio, sets the rlimits, drops every privilege, sets
// no_new_privs, installs the filter and execve's (package internal/rawfork). It fills in
// w.pid and w.sock (where the child's CPU report or failure comes, then EOF at its execve).
func (in *initProc) fork(w *warmStage2, spec *runSpec, files []*os.File) error {
	if len(spec.Args) == 0 {
		return errors.New("bad request")
	}
	p := &rawfork.Plan{CgroupFD: -1, CloneFlags: syscall.CLONE_NEWIPC, UID: spec.UID, GID: spec.GID,
		SetGroups: !spec.Rootless, LastCap: in.lastCap, Filter: in.filter, DataLimit: spec.DataLimit}
	var err error
	bytes := func(s string) *byte {
		b, e := syscall.BytePtrFromString(s)
		if e != nil && err == nil {
			err = fmt.Errorf("exec %s: %w", spec.Args[0], e)
		}
		return b
	}
	for _, path := range execCandidates(spec.Args[0], spec.Env) {
		p.Paths = append(p.Paths, bytes(path))
	}
	for _, a := range spec.Args {
		p.Argv = append(p.Argv, bytes(a))
	}
	p.Argv = append(p.Argv, nil)
	for _, e := range spec.Env {
		p.Envv = append(p.Envv, bytes(e))
	}
	p.Envv = append(p.Envv, nil)
	dir := spec.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("/work", dir)
	}
	p.Dir = bytes(dir)
	if err != nil {
		return err
	}
	for i, f := range files {
		p.Stdio[i] = int(f.Fd())
	}
	if w.into {
		p.CgroupFD = int(w.cgroups[0].Fd())
	} else {
		for _, f := range w.cgroups {
			p.Procs = append(p.Procs, int(f.Fd()))
		}
	}
	for _, rl := range spec.Rlimits {
		p.Rlimits = append(p.Rlimits, rawfork.Rlimit{Resource: rl.Resource, Limit: unix.Rlimit{Cur: rl.Cur, Max: rl.Max}})
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	p.Report = pair[1]
	pid, err := rawfork.Start(p)
	syscall.Close(pair[1])
	if err != nil {
		syscall.Close(pair[0])
		return err
	}
	w.pid, w.sock = pid, pair[0]
	return nil
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
