package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/languages"
)

// This file reports a run to a person at a terminal: live output, the status line and the exit
// code (README, "Exit codes").

// runOnce runs req and reports it: live output and a status line, or one JSON Result. It
// returns an exitError carrying the exit code (see exitCode), a usage error for a request the
// executor refused (exit 2), a couldNotRun error when the executor failed (exit 125), or, after
// Ctrl-C, an exitError 128+signal once it said "stopped".
func runOnce(ctx context.Context, ex executor.Executor, req executor.Request, asJSON bool, stdout, stderr io.Writer) error {
	var onEvent func(executor.Event)
	var sp *spinner
	midLine := false // the output so far does not end with a newline
	if !asJSON {
		if req.StdinStream == nil { // a spinner would draw over what the person types
			sp = startSpinner(stderr)
		}
		onEvent = func(ev executor.Event) {
			sp.stop()
			if ev.Restart > 0 { // a fleet ran it again elsewhere: say so between the attempts
				fmt.Fprint(stderr, ev.RestartNote())
				midLine = false
				return
			}
			w := stdout
			if ev.Stream == executor.Stderr || ev.Stage == executor.StageCompile {
				w = stderr
			}
			if len(ev.Data) > 0 {
				w.Write(ev.Data)
				midLine = ev.Data[len(ev.Data)-1] != '\n'
			}
		}
	}
	res, err := ex.Run(ctx, req, onEvent)
	sp.stop()
	if err != nil {
		return runError(ctx, err, stderr)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(res)
	}
	if line := statusLine(res, compilerOf(req.Language)); line != "" {
		if midLine {
			fmt.Fprintln(stderr)
		}
		fmt.Fprintf(stderr, "sandrun: %s\n", line)
	}
	if code := exitCode(res); code != 0 {
		return exitError{code}
	}
	return nil
}

// runError turns an error of Executor.Run into what the CLI reports: "stopped" and 128+signal
// after Ctrl-C (or SIGTERM), exit 2 for a refused request, else exit 125.
func runError(ctx context.Context, err error, stderr io.Writer) error {
	var sig stopSignal
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &sig) {
		fmt.Fprintln(stderr, "stopped")
		return exitError{128 + int(sig.sig)}
	}
	if executor.IsRequestError(err) {
		return requestError(err)
	}
	return couldNotRun(err)
}

// couldNotRunErr is a failure of sandrun, not of the program: the sandbox or the executor
// could not run it (exit 125).
type couldNotRunErr struct{ err error }

func (e couldNotRunErr) Error() string { return e.err.Error() }
func (e couldNotRunErr) Unwrap() error { return e.err }

// couldNotRun marks err as a failure to run the program (exit 125), in one sentence.
func couldNotRun(err error) error {
	return couldNotRunErr{fmt.Errorf("could not run the program: %s", executorProblem(err))}
}

// executorProblem says in one sentence, without Go's layers of error text, why an executor
// could not run something: "cannot reach the executor at 127.0.0.1:1: connection refused".
func executorProblem(err error) string {
	msg := err.Error()
	var dialErr *net.OpError
	var refused *executor.RefusedError
	switch {
	case errors.As(err, &refused):
		msg = "the operator's hook refused it: " + refused.Msg
	case errors.Is(err, executor.ErrBusy):
		msg = "the executor is busy (every slot is taken and its queue is full); try again shortly"
	case errors.Is(err, remote.ErrUnauthorized):
		msg = "the executor refused the token; check --token-file"
	case errors.As(err, &dialErr) && dialErr.Op == "dial":
		var dnsErr *net.DNSError
		why := dialErr.Err
		if u := errors.Unwrap(why); u != nil {
			why = u
		}
		switch {
		case dialErr.Addr != nil:
			msg = fmt.Sprintf("cannot reach the executor at %v: %v", dialErr.Addr, why)
		case errors.As(dialErr.Err, &dnsErr): // no address yet: the host name did not resolve
			msg = fmt.Sprintf("cannot reach the executor: cannot look up the host %s: %s", dnsErr.Name, dnsErr.Err)
		default:
			msg = fmt.Sprintf("cannot reach the executor: %v", dialErr.Err)
		}
	}
	return strings.TrimPrefix(msg, "remote: ")
}

// sentenceErr is err told as msg (executorProblem), still matching err's kinds.
type sentenceErr struct {
	msg string
	err error
}

func (e sentenceErr) Error() string { return e.msg }
func (e sentenceErr) Unwrap() error { return e.err }

// statusLine sums up a Result that is not plainly ok, for a person at a terminal: "" for ok,
// "compile error (gcc, 0.21 s)", or the status, its sentence and the measurements.
func statusLine(r executor.Result, compiler string) string {
	if r.Status == executor.StatusOK {
		return ""
	}
	if line, ok := compileErrorLine(r, compiler); ok {
		return line
	}
	return fmt.Sprintf("%s: %s (%s)", r.Status, r.Message, resourceLine(r))
}

// compileErrorLine is the line for a compiler that rejected the program (its messages were
// shown above it): "compile error (gcc, 0.21 s)".
func compileErrorLine(r executor.Result, compiler string) (string, bool) {
	if r.Status != executor.StatusCompileError || r.Compile == nil || r.Compile.Status != executor.StatusRuntimeError {
		return "", false
	}
	if compiler == "" {
		compiler = r.Language
	}
	return fmt.Sprintf("compile error (%s, %.2f s)", compiler, float64(r.Compile.WallTimeMs)/1000), true
}

// compilerOf names the compiler of a language for the compile-error line ("gcc", "rustc"), ""
// for an interpreted or unknown one.
func compilerOf(language string) string {
	set, err := languages.Load()
	if err != nil {
		return ""
	}
	l, ok := set.Lookup(language)
	if !ok || len(l.Compile) == 0 {
		return ""
	}
	if name := filepath.Base(l.Compile[0]); name != "sh" {
		return name
	}
	return l.Name
}

// resourceLine sums up a Result's measurements: "exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB".
func resourceLine(r executor.Result) string {
	return fmt.Sprintf("exit %d · cpu %d ms · wall %d ms · mem %s", r.ExitCode, r.CPUTimeMs, r.WallTimeMs, executor.FormatBytes(r.MemoryKiB*1024))
}

// exitCode is what `sandrun run` exits with (README, "Exit codes"): the program's own code when
// it ran and exited; 128+signal when a signal or a limit ended it; 1 when it did not compile;
// 125 when the sandbox failed.
func exitCode(r executor.Result) int {
	switch {
	case r.Status == executor.StatusOK:
		return 0
	case r.Status == executor.StatusInternalError:
		return 125
	case r.Signal != "":
		if s := unix.SignalNum(r.Signal); s != 0 {
			return 128 + int(s)
		}
		return 128 + int(syscall.SIGKILL)
	case r.Status == executor.StatusCompileError:
		return 1
	case r.ExitCode > 0:
		return r.ExitCode // exited by itself, e.g. after an allocation failed under the limit
	case r.Status == executor.StatusTimeLimit, r.Status == executor.StatusMemoryLimit, r.Status == executor.StatusOutputLimit:
		return 128 + int(syscall.SIGKILL)
	}
	return 1
}
