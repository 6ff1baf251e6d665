//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A Pool reuses a sandbox for another run only after a reset has made it as good as new: the
// init checks that nothing of the last run is left and wipes every writable place.
//
// What a run could leave behind, and where it goes:
//   - processes: every one is reaped when its command ends (the init waits until it has no
//     child); the reset also checks the PID namespace's /proc holds only the init and the
//     process prepared for the next command, which was started after the run ended.
//   - files: /work, /tmp and /dev/shm are the only writable mounts; each is unmounted and a
//     fresh tmpfs with the same options mounted in its place.
//   - System V IPC and POSIX message queues: each command gets an IPC namespace of its own (its
//     process is started with CLONE_NEWIPC), so nothing of them outlives the command.
//   - the network namespace: a closed TCP connection lingers (TIME_WAIT, visible in
//     /proc/net/tcp), and any use moves the per-namespace counters. When /proc/net/snmp or
//     snmp6 differ from what they were right after set-up, the sandbox is not reused but
//     replaced.
//   - overlays (Config.Overlays): their targets are under /tmp, so its unmount takes them and
//     their upper tmpfs along; each is mounted again over a fresh upper tmpfs.
//   - sockets and files in flight: a unix socket sent over another (SCM_RIGHTS), each in the
//     other's queue, then closed, outlives every process until the kernel's garbage collector
//     finds the cycle, and with it whatever else is in flight (a listening abstract or TCP
//     socket the next run could connect to, a memfd). Every unix socket of the network
//     namespace must be one the init or the next command's process holds; otherwise the
//     sandbox is not reused but replaced (test/hostile, ipc_plant.c).
//   - the init's own resource limits: every command starts from a process the init made, so it
//     inherits those the stage-2 does not set (RLIMIT_MSGQUEUE, RLIMIT_SIGPENDING, RLIMIT_AS…)
//     and cannot raise one whose hard limit was lowered. Rootless, commands share the init's uid,
//     and prlimit(1, …) lowers them (test/hostile, init_sched.c). When they differ from what
//     they were right after set-up, the sandbox is not reused but replaced.
//   - the command cgroup is a new one for each command already.

// reset asks the init to wipe the sandbox for a new run (see above). It fails, and the sandbox
// must then be closed, when anything of the last run could not be wiped.
func (s *Sandbox) reset(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitPending()
	if s.closed {
		return ErrClosed
	}
	if s.broken != nil {
		return s.broken
	}
	if _, err := s.call(ctx, &msg{Op: "reset"}); err != nil {
		return fmt.Errorf("sandbox: reset: %w", err)
	}
	return nil
}

// alive reports whether the sandbox's init still runs.
func (s *Sandbox) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// doReset serves "reset" in the init.
func (in *initProc) doReset(running *initRun) error {
	if in.setup == nil {
		return errors.New("reset before setup")
	}
	in.dropCheckpoint()
	if err := in.idle(running); err != nil {
		return err
	}
	net, err := netState()
	if err != nil {
		return err
	}
	if !bytes.Equal(net, in.netBase) {
		return errors.New("the last run used the network namespace (its counters moved); it is not reused")
	}
	w := <-in.warm // idle made sure there is one
	in.warm <- w
	if err := strayUnixSockets(w.peer); err != nil {
		return err
	}
	lim, err := limitState()
	if err != nil {
		return err
	}
	for r := range lim {
		if lim[r] != in.limitBase[r] {
			return fmt.Errorf("the last run changed the init's resource limit %d (%d/%d, was %d/%d); it is not reused",
				r, lim[r].Cur, lim[r].Max, in.limitBase[r].Cur, in.limitBase[r].Max)
		}
	}
	return in.wipeScratch()
}

// idle fails unless the PID namespace holds nothing but the init and the next command's
// process, which was started after the last one ended.
func (in *initProc) idle(running *initRun) error {
	if running != nil && !running.finished() {
		return errors.New("a command is still running")
	}
	w := <-in.warm
	in.warm <- w
	if w == nil {
		return errors.New("the next command's process could not be started")
	}
	return onlyProcesses(1, w.pid)
}

// wipeScratch mounts a fresh tmpfs over /work, /tmp and /dev/shm, and the overlays again.
func (in *initProc) wipeScratch() error {
	for _, m := range scratchMounts(in.setup) {
		if err := unix.Unmount(m.dir, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s: %w", m.dir, err)
		}
		if err := unix.Mount("tmpfs", m.dir, "tmpfs", m.flags, m.opts); err != nil {
			return fmt.Errorf("mount %s: %w", m.dir, err)
		}
	}
	// The overlays live under /tmp: its unmount took them along, with their writes.
	for i, o := range in.setup.Overlays {
		if err := mountOverlay("", i, o, in.setup); err != nil {
			return err
		}
	}
	return nil
}

// scratchMount is one writable tmpfs of the sandbox, as the reset mounts it again.
type scratchMount struct {
	dir   string
	flags uintptr
	opts  string
}

// scratchMounts are /work, /tmp and /dev/shm with the options buildRest gave them (the test
// TestPoolResetKeepsMountOptions compares the two).
func scratchMounts(s *setupSpec) []scratchMount {
	nosuidDev := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
	return []scratchMount{
		{"/work", nosuidDev, fmt.Sprintf("mode=0755,uid=%d,gid=%d,size=%d,nr_inodes=%d", s.UID, s.GID, sizeOr(s.WorkSize, defaultWorkSize), maxInodes)},
		{"/tmp", nosuidDev, fmt.Sprintf("mode=1777,size=%d,nr_inodes=%d", sizeOr(s.TmpSize, defaultTmpSize), maxInodes)},
		{"/dev/shm", nosuidDev | unix.MS_NOEXEC, fmt.Sprintf("mode=1777,size=%d,nr_inodes=%d", sizeOr(s.ShmSize, defaultShmSize), maxInodes)},
	}
}

// onlyProcesses fails when the PID namespace holds a process other than those given.
func onlyProcesses(allowed ...int) error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return fmt.Errorf("list processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || pid == a
		}
		if !ok {
			return fmt.Errorf("process %d outlived its run", pid)
		}
	}
	return nil
}

// netState is what the network namespace's counters and TCP tables say now.
func netState() ([]byte, error) {
	var all []byte
	// The counters move with any IP, TCP or UDP use (reading /proc/net/tcp instead would walk
	// the host's whole connection table: milliseconds).
	for _, f := range []string{"/proc/net/snmp", "/proc/net/snmp6"} {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		all = append(append(all, f...), b...)
	}
	return all, nil
}

// limitState is the init's own resource limits, every one the kernel has (prlimit of another
// process of the same uid changes them: rootless, a command's).
func limitState() ([]unix.Rlimit, error) {
	const nlimits = 16 // RLIM_NLIMITS: RLIMIT_CPU … RLIMIT_RTTIME
	out := make([]unix.Rlimit, nlimits)
	for r := range out {
		if err := unix.Getrlimit(r, &out[r]); err != nil {
			return nil, fmt.Errorf("getrlimit %d: %w", r, err)
		}
	}
	return out, nil
}

// strayUnixSockets fails when the network namespace holds a unix socket that neither the init
// has open nor is peer, the next command's process's end of its socket pair: one left in flight
// by the last run. (The next command's process holds nothing else the init does not: it
// started with only that socket, or, where commands are forked, with copies of the init's fds.)
func strayUnixSockets(peer string) error {
	held := map[string]bool{peer: true}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list open files: %w", err)
	}
	for _, e := range entries {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:[") {
			held[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return fmt.Errorf("read /proc/net/unix: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, line := range lines[1:] { // Num RefCount Protocol Flags Type St Inode Path
		f := strings.Fields(line)
		if len(f) < 7 || held[f[6]] {
			continue
		}
		name := ""
		if len(f) > 7 {
			name = " " + f[7]
		}
		return fmt.Errorf("the last run left a unix socket%s that no process holds (sent in flight); it is not reused", name)
	}
	return nil
}
