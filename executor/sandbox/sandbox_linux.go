//go:build linux

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// uidBase starts the range of host uids the sandboxes run commands as (root mode): uidBase plus
// the host pid of the sandbox's init, so every live sandbox on the host has its own uid without
// any coordination between sandrun processes. Far above any uid a host hands out.
const uidBase = 1_500_000_000

// ErrClosed is returned by every method of a Sandbox after Close.
var ErrClosed = errors.New("sandbox: closed")

// Sandbox is one isolated environment (see the package doc). Its methods may be called from any
// goroutine; they run one at a time, except Close, which interrupts a running command.
type Sandbox struct {
	init     *exec.Cmd
	ctl      *conn
	uid, gid int
	rootless bool
	fork     bool          // commands start by fork+exec from the init (start_linux.go), not a stage-2
	exited   chan struct{} // closed when the init has been reaped
	initLog  *capped       // the init's stderr, for error messages

	mu      sync.Mutex // serialises WriteFiles, ReadFile, Run and the end of Close
	closed  bool
	next    *cmdCgroup    // the next command's cgroup (joined by the waiting stage-2, if any)
	broken  error         // set when the sandbox cannot run another command
	pending chan struct{} // closed when the clean-up after the last Run is over (nil: none)

	closeOnce sync.Once
	dying     chan struct{} // closed when Close starts
}

// New starts a sandbox: namespaces made, root filesystem mounted, /work and /tmp empty.
func New(ctx context.Context, cfg Config) (*Sandbox, error) {
	binds, err := resolveBinds(cfg.Binds)
	if err != nil {
		return nil, err
	}
	overlays, err := resolveOverlays(cfg.Overlays)
	if err != nil {
		return nil, err
	}
	s := takeSpare()
	if s == nil {
		if s, err = startInit(); err != nil {
			return nil, err
		}
	}
	setup := &setupSpec{Binds: binds, Overlays: overlays, WorkSize: cfg.WorkSize, TmpSize: cfg.TmpSize, ShmSize: cfg.ShmSize,
		UID: s.uid, GID: s.gid, Rootless: s.rootless, Fork: s.fork, Masks: credentialMasks(binds)}
	// The first command's cgroup is made while the init builds the root.
	type made struct {
		cg  *cmdCgroup
		err error
	}
	first := make(chan made, 1)
	go func() {
		cg, err := newCmdCgroup(s.fork && commandStart().into, s.fork)
		first <- made{cg, err}
	}()
	if _, err := s.call(ctx, &msg{Op: "setup", Setup: setup}); err != nil {
		if m := <-first; m.cg != nil {
			m.cg.release()
		}
		s.Close()
		return nil, fmt.Errorf("sandbox: new: %w", err)
	}
	m := <-first
	if m.err == nil {
		m.err = s.prepareWith(m.cg)
	}
	if m.err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox: new: %w", m.err)
	}
	return s, nil
}

// startInit starts a sandbox's init: its namespaces exist when it returns, and the init builds
// the part of its root that depends on no Config (buildBase) while it waits for the "setup"
// request.
func startInit() (*Sandbox, error) {
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox: new: socketpair: %w", err)
	}
	hostEnd, initEnd := os.NewFile(uintptr(pair[0]), "control"), os.NewFile(uintptr(pair[1]), "control")
	s := &Sandbox{rootless: os.Geteuid() != 0, fork: commandStart().fork, exited: make(chan struct{}), dying: make(chan struct{}),
		initLog: &capped{max: 16 << 10}}
	ie := initExecutable()
	for retried := false; ; retried = true {
		s.init = &exec.Cmd{
			Path:        ie.path,
			Args:        []string{initArg0},
			Env:         initEnv(s.rootless),
			ExtraFiles:  []*os.File{initEnd},
			Stderr:      s.initLog,
			SysProcAttr: initAttr(s.rootless),
		}
		err = s.init.Start()
		if err == nil || !ie.cached || retried {
			break
		}
		// The cached copy of the init cannot be executed here (a noexec mount…): the memory
		// file from now on.
		initExeFailed(ie, err)
		ie = initExecutable()
	}
	initEnd.Close()
	if err != nil {
		hostEnd.Close()
		return nil, fmt.Errorf("sandbox: new: start init: %w (does this kernel allow %s?)", err, nsHint(s.rootless))
	}
	go func() {
		_ = s.init.Wait()
		close(s.exited)
	}()
	if s.ctl, err = newConn(hostEnd); err != nil {
		s.kill()
		return nil, fmt.Errorf("sandbox: new: %w", err)
	}
	if s.rootless {
		s.uid, s.gid = os.Getuid(), os.Getgid()
	} else {
		s.uid, s.gid = uidBase+s.init.Process.Pid, uidBase+s.init.Process.Pid
	}
	return s, nil
}

// initEnv is the init's whole environment: its role, and whether it is rootless (it builds
// /proc accordingly before the set-up request comes).
func initEnv(rootless bool) []string {
	if rootless {
		return []string{envRole + "=init", envRootless + "=1"}
	}
	return []string{envRole + "=init"}
}

// spare is the init Prestart started, which the next New takes; starting is closed when a
// Prestart in progress has set s.
var spare struct {
	sync.Mutex
	s        *Sandbox
	starting chan struct{}
}

// Prestart starts a sandbox's init ahead of the New that will use it, so that the init's work
// (its exec, the base of its root filesystem) overlaps with the caller's own: a one-shot
// `sandrun run` loads its languages meanwhile. It returns once the init is started (its
// namespaces made, its exec done: ~1 ms), which on a 2-CPU host is sooner than a goroutine
// doing it would get to run; a New from another goroutine meanwhile waits for it. The init does
// not depend on the Config, which comes with New. At most one is kept; a process that never
// calls New leaves it to die with it (the init gets SIGKILL when its parent exits). Errors are
// left for New to report.
func Prestart() {
	spare.Lock()
	if spare.s != nil || spare.starting != nil {
		spare.Unlock()
		return
	}
	started := make(chan struct{})
	spare.starting = started
	spare.Unlock()
	s, _ := startInit()
	spare.Lock()
	spare.s, spare.starting = s, nil
	spare.Unlock()
	close(started)
}

// takeSpare returns the init Prestart started, if any (and it is still alive), waiting for one
// still starting.
func takeSpare() *Sandbox {
	spare.Lock()
	if started := spare.starting; started != nil {
		spare.Unlock()
		<-started
		spare.Lock()
	}
	s := spare.s
	spare.s = nil
	spare.Unlock()
	if s == nil {
		return nil
	}
	select {
	case <-s.exited:
		s.Close()
		return nil
	default:
	}
	return s
}

// prepareNext makes the next command's cgroup and sends the init what places a command in it;
// where commands start from a stage-2, the init starts it now, and it joins the cgroup and
// waits. All of it happens off the next Run's hot path.
func (s *Sandbox) prepareNext() error {
	cg, err := newCmdCgroup(s.fork && commandStart().into, s.fork)
	if err != nil {
		return err
	}
	return s.prepareWith(cg)
}

// prepareWith is prepareNext with the cgroup made (nil where there are no cgroups).
func (s *Sandbox) prepareWith(cg *cmdCgroup) error {
	var files []*os.File
	into := false
	if cg != nil {
		files, into = cg.procs, cg.into
	}
	err := s.ctl.send(&msg{Op: "prepare", Into: into}, files...)
	if cg != nil {
		cg.closeProcs()
	}
	if err != nil {
		if cg != nil {
			cg.release()
		}
		return s.deadErr(err)
	}
	s.next = cg
	return nil
}

// initAttr is how the init is cloned: every namespace, its own session, killed with its parent.
func initAttr(rootless bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET |
			syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS | syscall.CLONE_NEWCGROUP,
		Setsid:    true,
		Pdeathsig: syscall.SIGKILL,
	}
	if rootless {
		// The caller's uid maps to itself; the init keeps its capabilities inside the new user
		// namespace as ambient ones, and drops them all for each command.
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getuid(), HostID: os.Getuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getgid(), HostID: os.Getgid(), Size: 1}}
		a.GidMappingsEnableSetgroups = false
		for c := 0; c <= lastCap(); c++ {
			a.AmbientCaps = append(a.AmbientCaps, uintptr(c))
		}
	}
	return a
}

func nsHint(rootless bool) string {
	if rootless {
		return "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)"
	}
	return "mount, PID, network, IPC, UTS and cgroup namespaces"
}

// resolveBinds checks each bind on the host: the source must exist; links in it are resolved
// here, so the init never follows one; the target must be absolute and not a sandbox-owned dir.
func resolveBinds(binds []Bind) ([]Bind, error) {
	out := make([]Bind, 0, len(binds))
	for _, b := range binds {
		if !filepath.IsAbs(b.Source) {
			return nil, fmt.Errorf("sandbox: bind %q: the source must be an absolute host path", b.Source)
		}
		src, err := filepath.EvalSymlinks(b.Source)
		if err != nil {
			return nil, fmt.Errorf("sandbox: bind %q: %w", b.Source, err)
		}
		dst := b.Target
		if dst == "" {
			dst = b.Source
		}
		dst = filepath.Clean(dst)
		if !filepath.IsAbs(dst) || dst == "/" {
			return nil, fmt.Errorf("sandbox: bind target %q: want an absolute path other than /", b.Target)
		}
		for _, own := range []string{"/work", "/tmp", "/dev", "/proc", "/etc/passwd", "/etc/group"} {
			if dst == own || strings.HasPrefix(dst, own+"/") {
				return nil, fmt.Errorf("sandbox: bind target %q: %s belongs to the sandbox", dst, own)
			}
		}
		out = append(out, Bind{Source: src, Target: dst})
	}
	return out, nil
}

// ioTimeout bounds how long WriteFiles and ReadFile wait for the init to answer one request
// (it answers at once unless it is broken).
const ioTimeout = 30 * time.Second

// call sends a request and waits for its answer (and the file it carries, if any).
func (s *Sandbox) call(ctx context.Context, m *msg, files ...*os.File) (*os.File, error) {
	if err := s.ctl.send(m, files...); err != nil {
		return nil, s.deadErr(err)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.ctl.c.SetReadDeadline(time.Unix(1, 0)) })
	reply, got, err := s.ctl.recv()
	if !stop() {
		_ = s.ctl.c.SetReadDeadline(time.Time{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Op, ctx.Err())
		}
	}
	if err != nil {
		return nil, s.deadErr(err)
	}
	if reply.Err != "" {
		closeAll(got)
		return nil, errors.New(reply.Err)
	}
	if len(got) > 1 {
		closeAll(got[1:])
	}
	if len(got) > 0 {
		return got[0], nil
	}
	return nil, nil
}

// deadErr explains a control-socket failure: usually the init died, and its stderr says why.
func (s *Sandbox) deadErr(err error) error {
	select {
	case <-s.dying:
		return ErrClosed
	default:
	}
	if log := strings.TrimSpace(s.initLog.String()); log != "" {
		return fmt.Errorf("sandbox init failed: %s", log)
	}
	return fmt.Errorf("sandbox init: %w", err)
}

// WriteFiles places files under /work, creating parent dirs. Call it before Run: the files are
// created by the sandbox's init, which walks /work without following any link and never
// replaces an existing file.
func (s *Sandbox) WriteFiles(files []File) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitPending()
	if s.closed {
		return ErrClosed
	}
	for _, f := range files {
		if _, err := cleanRel(f.Path); err != nil {
			return fmt.Errorf("sandbox: write files: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		fd, err := s.call(ctx, &msg{Op: "create", Path: f.Path, Mode: uint32(f.Mode.Perm())})
		cancel()
		if err != nil {
			return fmt.Errorf("sandbox: write files: %w", err)
		}
		_, err = fd.Write(f.Data)
		if cerr := fd.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sandbox: write files: %s: %w", f.Path, err)
		}
	}
	return nil
}

// ReadFile reads a regular file under /work, at most max bytes: a symbolic link anywhere on
// the path, a device, a FIFO or a dir is refused, and so is a file longer than max.
func (s *Sandbox) ReadFile(path string, max int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitPending()
	if s.closed {
		return nil, ErrClosed
	}
	if _, err := cleanRel(path); err != nil {
		return nil, fmt.Errorf("sandbox: read file: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	f, err := s.call(ctx, &msg{Op: "open", Path: path})
	if err != nil {
		return nil, fmt.Errorf("sandbox: read file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("sandbox: read file %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("sandbox: read file %s: larger than %d bytes", path, max)
	}
	return data, nil
}

// Close kills everything inside (the whole PID namespace) and frees the sandbox's resources:
// /work, /tmp and /dev/shm vanish with the last process. It interrupts a running command (whose
// Run returns ErrClosed) and is safe to call twice.
func (s *Sandbox) Close() error { return s.end(true) }

// Abandon ends the sandbox for a process about to exit: the init is killed (the kernel ends
// its PID namespace, every process in it, and its mounts with it) and what the host made for
// the sandbox is released, but unlike Close it does not wait for the kernel to finish tearing
// the namespaces down (about a millisecond, which a one-shot `sandrun run` would otherwise spend
// before it exits) — unless a command's process was prepared ahead, whose cgroup can only go
// once the init is gone.
func (s *Sandbox) Abandon() error { return s.end(false) }

// end is Close (wait) or Abandon.
func (s *Sandbox) end(wait bool) error {
	s.closeOnce.Do(func() {
		close(s.dying)
		s.kill()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitPending() // the last command's cgroup: empty once its run has ended
	if s.closed {
		return nil
	}
	s.closed = true
	if wait || s.next != nil {
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			return errors.New("sandbox: close: the init did not die within 10s of SIGKILL")
		}
	}
	if s.ctl != nil {
		s.ctl.close()
	}
	if s.next != nil { // the process waiting in it died with the PID namespace
		if err := s.next.release(); err != nil {
			return fmt.Errorf("sandbox: close: %w", err)
		}
		s.next = nil
	}
	return nil
}

// waitPending waits for the clean-up of the last Run (s.mu held).
func (s *Sandbox) waitPending() {
	if s.pending != nil {
		<-s.pending
		s.pending = nil
	}
}

func (s *Sandbox) kill() {
	if s.init != nil && s.init.Process != nil {
		_ = s.init.Process.Signal(syscall.SIGKILL)
	}
}

// capped keeps the first max bytes written to it and drops the rest.
type capped struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.b)
}
