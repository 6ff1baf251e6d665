//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// initRun is one command as the init runs it: fork the stage-2, wait for its execve, reap
// every process until none is left, report.
type initRun struct {
	done atomic.Bool
}

func (r *initRun) finished() bool { return r.done.Load() }

// startRun forks the stage-2 with the command's stdio (files[0:3]) and cgroup files (the rest),
// then waits and reports in the background. The files may be closed once it returns.
func (in *initProc) startRun(spec *runSpec, files []*os.File) *initRun {
	r := &initRun{}
	fail := func(err error) *initRun {
		r.done.Store(true)
		_ = in.ctl.send(&msg{Op: "done", Done: &doneInfo{StartErr: err.Error()}})
		return r
	}
	if spec == nil || len(files) != 3+spec.NCgroup {
		return fail(errors.New("run: bad request"))
	}
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(fmt.Errorf("run: socketpair: %w", err))
	}
	mine := os.NewFile(uintptr(pair[0]), "spec")
	fds := []uintptr{files[0].Fd(), files[1].Fd(), files[2].Fd(), uintptr(pair[1])}
	for _, f := range files[3:] {
		fds = append(fds, f.Fd())
	}
	var before syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before)
	pid, err := syscall.ForkExec(fmt.Sprintf("/proc/self/fd/%d", in.exe.Fd()), []string{stage2Arg0},
		&syscall.ProcAttr{Env: []string{envRole + "=stage2"}, Files: fds, Sys: &syscall.SysProcAttr{Setsid: true}})
	syscall.Close(pair[1])
	if err != nil {
		mine.Close()
		return fail(fmt.Errorf("run: start stage-2: %w", err))
	}
	go func() {
		d := in.finishRun(pid, spec, mine, &before)
		r.done.Store(true)
		_ = in.ctl.send(&msg{Op: "done", Done: d})
	}()
	return r
}

// finishRun hands the spec to the stage-2, learns whether its execve worked, then reaps every
// process of the namespace. It returns once nothing but the init is left.
func (in *initProc) finishRun(pid int, spec *runSpec, sock *os.File, before *syscall.Rusage) *doneInfo {
	d := &doneInfo{}
	b, _ := json.Marshal(spec)
	var startErr []byte
	if _, err := sock.Write(b); err == nil {
		_ = syscall.Shutdown(int(sock.Fd()), syscall.SHUT_WR)
		startErr, _ = io.ReadAll(io.LimitReader(sock, 4096))
	}
	sock.Close()
	start := time.Now()
	if len(startErr) > 0 {
		d.StartErr = string(startErr)
		killAll()
	} else {
		_ = in.ctl.send(&msg{Op: "started"})
	}
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
		if wpid != pid || mainDone {
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
	return d
}

func tvNanos(tv syscall.Timeval) int64 { return tv.Nano() }
