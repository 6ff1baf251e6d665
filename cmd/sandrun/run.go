package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/languages"
)

// runFlags are the flags of `sandrun run` (and `sandrun watch`, which shares them).
type runFlags struct {
	lang, stdinFile          string
	timeLimit, wallLimit     durationFlag
	memoryLimit, outputLimit sizeFlag
	execSpec, tokenFile, tca string
	json                     bool
	cache                    cacheFlags
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.lang, "lang", "", "language id or alias (default: from the extension or #! line; required when FILE is -)")
	fs.StringVar(&f.stdinFile, "stdin", "", "file to give the program as stdin (default: sandrun's stdin when it is not a terminal and FILE is not -)")
	fs.Var(&f.timeLimit, "time-limit", "most CPU `TIME` the program may use, e.g. 2s or 1500ms (default 2s, or the language's)")
	fs.Var(&f.wallLimit, "wall-limit", "most wall-clock `TIME`, e.g. 5s (default 2×CPU+1s)")
	fs.Var(&f.memoryLimit, "memory-limit", "most `MEMORY`, e.g. 256MiB or 1GiB; a bare number is MiB (default 256MiB, or the language's)")
	fs.Var(&f.outputLimit, "output-limit", "most output per stream (stdout, stderr each), a `SIZE` such as 20MiB; a bare number is MiB (default 1MiB)")
	fs.StringVar(&f.execSpec, "executor", "local", "where to run: local, or tcp://HOST:PORT")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the remote executor's token")
	fs.StringVar(&f.tca, "tls-ca", "", "CA certificate (PEM) to verify a TLS remote executor")
	fs.BoolVar(&f.json, "json", false, "print one Result JSON object instead of the live output")
	f.cache.register(fs, true)
}

// open returns the executor the flags ask for. Failing to open it is a couldNotRun error (exit
// 125), but for a mistake in the flags (exit 2).
func (f *runFlags) open(ctx context.Context) (executor.Executor, func() error, error) {
	var lo executor.LocalOptions
	if err := f.cache.apply(&lo); err != nil {
		return nil, nil, err
	}
	ex, closeEx, err := openExecutorWith(ctx, f.execSpec, f.tokenFile, f.tca, lo)
	if err != nil && !errors.As(err, new(usageErr)) {
		return nil, nil, couldNotRun(err)
	}
	return ex, closeEx, err
}

// limits turns the flags into run-stage limits (zero fields mean defaults), each checked against
// what a run accepts and named as the flag.
func (f *runFlags) limits() (executor.Limits, error) {
	max := executor.MaxLimits
	l := executor.Limits{
		CPUTimeMs:   ceilMs(f.timeLimit.d),
		WallTimeMs:  ceilMs(f.wallLimit.d),
		MemoryBytes: f.memoryLimit.n,
		OutputBytes: f.outputLimit.n,
	}
	for _, err := range []error{
		inRange("--time-limit", f.timeLimit.raw, l.CPUTimeMs, 1, max.CPUTimeMs, formatMs),
		inRange("--wall-limit", f.wallLimit.raw, l.WallTimeMs, 1, max.WallTimeMs, formatMs),
		inRange("--memory-limit", f.memoryLimit.raw, l.MemoryBytes, 4<<20, max.MemoryBytes, executor.FormatBytes),
		inRange("--output-limit", f.outputLimit.raw, l.OutputBytes, 1, max.OutputBytes, executor.FormatBytes),
	} {
		if err != nil {
			return l, err
		}
	}
	return l, nil
}

func ceilMs(d time.Duration) int64 { return int64((d + time.Millisecond - 1) / time.Millisecond) }

// limitFlags names the flag behind each run-stage field of a RequestError.
var limitFlags = map[string]string{
	"limits.cpu_time_ms":  "--time-limit",
	"limits.wall_time_ms": "--wall-limit",
	"limits.memory_bytes": "--memory-limit",
	"limits.output_bytes": "--output-limit",
}

// requestError turns an executor's *RequestError into a usage error (exit 2) that names the
// flag behind the field where there is one.
func requestError(err error) error {
	var re *executor.RequestError
	if errors.As(err, &re) {
		if name, ok := limitFlags[re.Field]; ok {
			return usageError("%s: %s", name, re.Msg)
		}
	}
	return usageError("%v", err)
}

// parseInterleaved parses flags that may come before or after positional arguments; everything
// after a "--" is returned as passthrough. A lone "-" is a positional argument (source on stdin).
func parseInterleaved(fs *flag.FlagSet, usage string, args []string) (positional, passthrough []string, err error) {
	for i, a := range args {
		if a == "--" {
			args, passthrough = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := parseFlags(fs, usage, args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			return positional, passthrough, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runCmd(ctx context.Context, args []string) error {
	inv, err := parseRunInvocation("run", "usage: sandrun run [flags] FILE [-- ARGS…]\n\nCompiles and runs FILE in the sandbox (FILE - reads the source from stdin; then --lang is needed).\nExit code: the program's own; 2 for a mistake in the command line or its inputs; 125 when\nsandrun could not run the program; 128+N when signal N or a limit ended it; 130 on Ctrl-C.", args, nil)
	if inv == nil || err != nil {
		return err
	}
	ex, closeEx, err := inv.flags.open(ctx)
	if err != nil {
		return err
	}
	defer closeEx()
	req := inv.req
	if inv.flags.stdinFile == "" && inv.file != "-" && !inv.flags.json && term.IsTerminal(int(os.Stdin.Fd())) {
		// A person at a terminal: what they type reaches the program while it runs (Ctrl-D ends
		// its input), and a program waiting for them is not stopped by the short default wall
		// clock meant for unattended runs.
		req.StdinStream = os.Stdin
		if inv.flags.wallLimit.d == 0 {
			req.Limits.WallTimeMs = executor.MaxLimits.WallTimeMs
		}
	}
	if !inv.flags.json && sameFile(os.Stdout, os.Stderr) {
		// "2>&1" or a terminal: one descriptor for both, so the order is what the program wrote.
		req.MergeOutput = true
	}
	return runOnce(ctx, ex, req, inv.flags.json, os.Stdout, os.Stderr)
}

// sameFile reports whether a and b are the same open file, pipe or terminal (same device and
// inode), as after "2>&1".
func sameFile(a, b *os.File) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(int(a.Fd()), &sa) != nil || unix.Fstat(int(b.Fd()), &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// runInvocation is a parsed `sandrun run`-style command line (run, watch): the flags, the file,
// the languages and the Request built from them.
type runInvocation struct {
	flags runFlags
	file  string
	set   *languages.Set
	req   executor.Request
}

// parseRunInvocation parses args with the run flags (plus the command's own, added by extra) and
// builds the Request, so that a bad flag, file or language is an error before anything starts.
// It returns nil and no error when the user asked for -h.
func parseRunInvocation(name, usage string, args []string, extra func(*flag.FlagSet)) (*runInvocation, error) {
	inv := &runInvocation{}
	fs := newFlagSet(name)
	inv.flags.register(fs)
	if extra != nil {
		extra(fs)
	}
	pos, progArgs, err := parseInterleaved(fs, usage, args)
	if errors.Is(err, errHelpShown) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usageError("give exactly one FILE (program arguments go after --); \"sandrun %s --help\" tells more", name)
	}
	if inv.set, err = languages.Load(); err != nil {
		return nil, err
	}
	inv.file = pos[0]
	if inv.req, err = inv.flags.request(inv.set, inv.file, progArgs); err != nil {
		return nil, err
	}
	return inv, nil
}

// request builds the Request for file from the flags.
func (f *runFlags) request(set *languages.Set, file string, progArgs []string) (executor.Request, error) {
	lang, src, err := readSource(set, file, f.lang)
	if err != nil {
		return executor.Request{}, err
	}
	lim, err := f.limits()
	if err != nil {
		return executor.Request{}, err
	}
	stdin, err := f.readStdin(file)
	if err != nil {
		return executor.Request{}, err
	}
	return executor.Request{Language: lang.ID, Files: []executor.File{src}, Stdin: stdin, Args: progArgs, Limits: lim}, nil
}

// readStdin returns the program's stdin: --stdin FILE, else sandrun's own stdin when it is not
// a terminal and did not carry the source (FILE -), else nothing (runCmd then streams the
// terminal to the program as it runs).
func (f *runFlags) readStdin(file string) ([]byte, error) {
	var r io.Reader
	switch {
	case f.stdinFile != "":
		st, err := os.Stat(f.stdinFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, usageError("--stdin %s: no such file", f.stdinFile)
		case err != nil:
			return nil, usageError("--stdin %s: %v", f.stdinFile, unwrapPath(err))
		case st.IsDir():
			return nil, usageError("--stdin %s is a directory; give a file", f.stdinFile)
		}
		file, err := os.Open(f.stdinFile)
		if err != nil {
			return nil, usageError("--stdin %s: %v", f.stdinFile, unwrapPath(err))
		}
		defer file.Close()
		r = file
	case file == "-":
		return nil, nil
	case !term.IsTerminal(int(os.Stdin.Fd())):
		r = os.Stdin
	default:
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(r, executor.MaxStdinSize+1))
	if err != nil {
		return nil, usageError("read stdin: %v", unwrapPath(err))
	}
	if len(data) > executor.MaxStdinSize {
		return nil, usageError("stdin is larger than %s, the most a run accepts", executor.FormatBytes(executor.MaxStdinSize))
	}
	return data, nil
}

// unwrapPath drops the "open NAME:" part of a *fs.PathError, whose path the caller names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

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
	msg := err.Error()
	var dialErr *net.OpError
	switch {
	case errors.Is(err, executor.ErrBusy):
		msg = "the executor is busy (every slot is taken and its queue is full); try again shortly"
	case errors.Is(err, remote.ErrUnauthorized):
		msg = "the executor refused the token; check --token-file"
	case errors.As(err, &dialErr) && dialErr.Op == "dial":
		msg = fmt.Sprintf("cannot reach the executor at %v: %v", dialErr.Addr, errors.Unwrap(dialErr.Err))
		if errors.Unwrap(dialErr.Err) == nil {
			msg = fmt.Sprintf("cannot reach the executor at %v: %v", dialErr.Addr, dialErr.Err)
		}
	}
	return couldNotRunErr{fmt.Errorf("could not run the program: %s", strings.TrimPrefix(msg, "remote: "))}
}

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
