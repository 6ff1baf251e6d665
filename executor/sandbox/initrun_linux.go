//go:build linux

package sandbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// initRun is one command as the init runs it: hand the request to its waiting process, wait for its
// execve, reap every process until none is left, report.
type initRun struct {
	done atomic.Bool
}

func (r *initRun) finished() bool { return r.done.Load() }

// warmStage2 is the process the next command starts from, started ahead of it: it has joined
// the command's cgroups (the host made them and sent their cgroup.procs files, or the v2 dir,
// with "prepare") and waits on its socket for the request. Where commands are forked
// (setup.Fork) it is a raw clone of the init (initfork_linux.go); else a stage-2, whose Go
// runtime is up. A command pays for neither on its hot path.
type warmStage2 struct {
	pid     int
	sock    int        // SOCK_SEQPACKET: the request (with stdio fds) goes in, an exec error comes out
	cgroups []*os.File // kept to start a replacement if this one died
	into    bool       // cgroups[0] is a v2 dir to clone the command into
	peer    string     // the inode of its end of sock, the one socket it holds that the init does not
}

// sockInode is the inode number of the socket fd, as /proc/net/unix and /proc/PID/fd name it.
func sockInode(fd int) string {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return ""
	}
	return strconv.FormatUint(st.Ino, 10)
}

// prepare starts the next command's process in the background; startRun takes it.
func (in *initProc) prepare(cgroups []*os.File, into bool) {
	if in.setup.Fork {
		go func() {
			w, err := in.preforkRaw(cgroups, into)
			if err != nil {
				fmt.Fprintln(os.Stderr, "sandbox init:", err)
				closeAll(cgroups)
				w = nil
			}
			in.warm <- w
		}()
		return
	}
	go func() {
		w, err := in.prefork(cgroups)
		if err != nil {
			closeAll(cgroups)
			w = nil
		}
		in.warm <- w
	}()
}

// prefork starts a stage-2 that joins the cgroups and waits for a request; its stdio is
// /dev/null until then.
func (in *initProc) prefork(cgroups []*os.File) (*warmStage2, error) {
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		syscall.Close(pair[0])
		syscall.Close(pair[1])
		return nil, err
	}
	defer null.Close()
	fds := []uintptr{null.Fd(), null.Fd(), null.Fd(), uintptr(pair[1])}
	for _, f := range cgroups {
		fds = append(fds, f.Fd())
	}
	env := []string{envRole + "=stage2", envCgroups + "=" + strconv.Itoa(len(cgroups))}
	peer := sockInode(pair[1])
	pid, err := syscall.ForkExec(fmt.Sprintf("/proc/self/fd/%d", in.exe.Fd()), []string{stage2Arg0},
		&syscall.ProcAttr{Env: env, Files: fds, Sys: &syscall.SysProcAttr{Setsid: true,
			// Each command has System V IPC and POSIX message queues of its own: nothing of
			// them outlives it, even when a Pool reuses the sandbox for another run.
			Unshareflags: syscall.CLONE_NEWIPC}})
	syscall.Close(pair[1])
	if err != nil {
		syscall.Close(pair[0])
		return nil, fmt.Errorf("start stage-2: %w", err)
	}
	return &warmStage2{pid: pid, sock: pair[0], cgroups: cgroups, peer: peer}, nil
}

// startRun hands the command and its stdio (files) to the waiting stage-2, then waits and
// reports in the background. The files may be closed once it returns.
func (in *initProc) startRun(spec *runSpec, files []*os.File) *initRun {
	r := &initRun{}
	fail := func(err error) *initRun {
		r.done.Store(true)
		_ = in.ctl.send(&msg{Op: "done", Done: &doneInfo{StartErr: err.Error()}})
		return r
	}
	if spec == nil || len(files) != 3 {
		return fail(errors.New("run: bad request"))
	}
	<-in.sigReady // no command runs before the init is safe from its signals
	if spec.Rootless {
		// RLIMIT_NPROC counts every task of the uid in this user namespace, and rootless the
		// init shares the command's uid: its own threads must not eat the command's share (nor
		// add to it: should the init start a thread later, the command gets one fewer).
		for i, rl := range spec.Rlimits {
			if rl.Resource == unix.RLIMIT_NPROC {
				extra := uint64(ownThreads())
				spec.Rlimits[i].Cur, spec.Rlimits[i].Max = rl.Cur+extra, rl.Max+extra
			}
		}
	}
	var before syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before)
	w := <-in.warm // the host sends "prepare" before every "run"
	if w == nil {
		return fail(errors.New("run: the command's process could not be started"))
	}
	if in.setup.Fork {
		handed := time.Now()
		w, err := in.handRaw(w, spec, files)
		closeAll(w.cgroups)
		if err != nil {
			if w.sock >= 0 {
				syscall.Close(w.sock) // the waiting child exits
			}
			_, _ = syscall.Wait4(w.pid, nil, 0, nil)
			return fail(fmt.Errorf("run: %w", err))
		}
		go func() {
			d := in.finishRun(w, &before, handed, forkFailure(spec))
			r.done.Store(true)
			_ = in.ctl.send(&msg{Op: "done", Done: d})
		}()
		return r
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return fail(fmt.Errorf("run: %w", err))
	}
	rights := syscall.UnixRights(int(files[0].Fd()), int(files[1].Fd()), int(files[2].Fd()))
	// The wall clock starts at the hand-over: it covers what a shell's fork+exec would (the
	// stage-2 drops privileges and execve's), so it is never less than a person would measure.
	handed := time.Now()
	if err := syscall.Sendmsg(w.sock, b, rights, nil, 0); err != nil {
		// It died before its command came: start another in the same cgroups.
		syscall.Close(w.sock)
		nw, perr := in.prefork(w.cgroups)
		if perr != nil {
			closeAll(w.cgroups)
			return fail(fmt.Errorf("run: hand over to stage-2: %v; restart: %w", err, perr))
		}
		w = nw
		if err := syscall.Sendmsg(w.sock, b, rights, nil, 0); err != nil {
			syscall.Close(w.sock)
			closeAll(w.cgroups)
			return fail(fmt.Errorf("run: hand over to stage-2: %w", err))
		}
	}
	closeAll(w.cgroups)
	go func() {
		d := in.finishRun(w, &before, handed, func(b []byte) string { return string(b) })
		r.done.Store(true)
		_ = in.ctl.send(&msg{Op: "done", Done: d})
	}()
	return r
}

// finishRun learns whether the command's execve worked (failure turns a failure message into
// a sentence), then reaps every process of the namespace. It returns once nothing but the init
// is left.
func (in *initProc) finishRun(w *warmStage2, before *syscall.Rusage, start time.Time, failure func([]byte) string) *doneInfo {
	d := &doneInfo{}
	buf := make([]byte, 4096)
	preExec := int64(-1) // the stage-2's own CPU time, reported right before its execve
	for {
		n, _, _, _, err := syscall.Recvmsg(w.sock, buf, nil, 0)
		if err == syscall.EINTR {
			continue
		}
		if n == 9 && buf[0] == cpuReport {
			preExec = int64(binary.LittleEndian.Uint64(buf[1:9]))
			continue
		}
		if n > 0 {
			d.StartErr = failure(buf[:n])
			killAll()
		}
		break // EOF: the execve closed the socket
	}
	syscall.Close(w.sock)
	mainDone := false
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		wpid, err := syscall.Wait4(-1, &ws, 0, &ru)
		if err == syscall.EINTR {
			continue
		}
		if err != nil { // ECHILD: nothing left but the init
			break
		}
		if wpid != w.pid || mainDone {
			continue
		}
		mainDone = true
		d.WallNano = int64(time.Since(start))
		d.MaxRSS = ru.Maxrss * 1024
		switch {
		case ws.Exited():
			d.ExitCode = ws.ExitStatus()
		case ws.Signaled():
			d.ExitCode = -1
			d.Signal = int(ws.Signal())
		}
		// The command is over when its main process is: everything it left behind dies now.
		killAll()
	}
	var after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &after)
	d.CPUNanos = tvNanos(after.Utime) + tvNanos(after.Stime) - tvNanos(before.Utime) - tvNanos(before.Stime)
	if preExec >= 0 && d.CPUNanos >= preExec {
		d.CPUNanos -= preExec
		d.ProgramCPU = true
	}
	return d
}

func tvNanos(tv syscall.Timeval) int64 { return tv.Nano() }

// ownThreads is the init's thread count (Threads: in /proc/self/status), 16 if unknown.
func ownThreads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 16
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return 16
}
