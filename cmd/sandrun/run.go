package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
)

// runFlags are the flags of `sandrun run` (and `sandrun watch`, which shares them).
type runFlags struct {
	lang, stdinFile          string
	with                     pathsFlag // more files beside FILE (--with)
	runtime                  string
	timeLimit, wallLimit     durationFlag
	memoryLimit, outputLimit sizeFlag
	exec                     executorFlags
	json                     bool
	cache                    cacheFlags
	// oneShot: one run and exit (`sandrun run`): no pool of sandboxes, so nothing is reset or
	// kept ready after the run only to be closed.
	oneShot bool
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.lang, "lang", "", "language id or alias (default: from the extension or #! line; required when FILE is -)")
	fs.StringVar(&f.runtime, "runtime", "", "the language's runtime, e.g. clang, pypy, bun, deno (default: the language's default; \"sandrun languages\" lists them)")
	fs.Var(&f.with, "with", "a `PATH` to put in the sandbox beside FILE (a module it imports, a header, a data file), named as it is relative to FILE's directory; repeatable")
	fs.StringVar(&f.stdinFile, "stdin", "", "file to give the program as stdin (default: sandrun's stdin when it is not a terminal and FILE is not -)")
	fs.Var(&f.timeLimit, "time-limit", "most CPU `TIME` the program may use, e.g. 2s or 1500ms (default 2s, or the language's)")
	fs.Var(&f.wallLimit, "wall-limit", "most wall-clock `TIME`, e.g. 5s (default 2×CPU+1s)")
	fs.Var(&f.memoryLimit, "memory-limit", "most `MEMORY`, e.g. 256MiB or 1GiB; a bare number is MiB (default 256MiB, or the language's)")
	f.outputLimit.like = "64KiB or 20MiB"
	fs.Var(&f.outputLimit, "output-limit", "most output per stream (stdout, stderr each), a `SIZE` such as 20MiB; a bare number is MiB (default 1MiB)")
	f.exec.register(fs)
	fs.BoolVar(&f.json, "json", false, "print one Result JSON object instead of the live output")
	f.cache.register(fs, true)
}

// open returns the executor the flags ask for. Failing to open it is a couldNotRun error (exit
// 125), but for a mistake in the flags (exit 2).
func (f *runFlags) open(ctx context.Context) (executor.Executor, func() error, error) {
	opts, err := f.exec.options("sandrun")
	if err != nil {
		return nil, nil, err
	}
	if err := f.cache.apply(&opts.Local); err != nil {
		return nil, nil, err
	}
	if f.oneShot {
		opts.Local.PoolSize = -1
		opts.Local.ExitsAfter = true
	}
	ex, closeEx, err := openExecutor(ctx, f.exec.spec, opts)
	if err != nil && !errors.As(err, new(usageErr)) {
		return nil, nil, couldNotRun(err)
	}
	return ex, closeEx, err
}

// limits turns the flags into run-stage limits (zero fields mean defaults), each checked against
// what a run accepts and named as the flag.
func (f *runFlags) limits() (executor.Limits, error) {
	max, least := executor.MaxLimits(), executor.MinLimits()
	l := executor.Limits{
		CPUTimeMs:   ceilMs(f.timeLimit.d),
		WallTimeMs:  ceilMs(f.wallLimit.d),
		MemoryBytes: f.memoryLimit.n,
		OutputBytes: f.outputLimit.n,
	}
	for _, err := range []error{
		inRange("--time-limit", f.timeLimit.raw, l.CPUTimeMs, least.CPUTimeMs, max.CPUTimeMs, formatMs),
		inRange("--wall-limit", f.wallLimit.raw, l.WallTimeMs, least.WallTimeMs, max.WallTimeMs, formatMs),
		inRange("--memory-limit", f.memoryLimit.raw, l.MemoryBytes, least.MemoryBytes, max.MemoryBytes, executor.FormatBytes),
		inRange("--output-limit", f.outputLimit.raw, l.OutputBytes, least.OutputBytes, max.OutputBytes, executor.FormatBytes),
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
	inv.flags.oneShot = true
	ex, closeEx, err := inv.flags.open(ctx)
	if err != nil {
		return err // a usage error (exit 2) or couldNotRun (exit 125)
	}
	defer closeEx()
	req := inv.req
	if inv.flags.stdinFile == "" && inv.file != "-" && !inv.flags.json && term.IsTerminal(int(os.Stdin.Fd())) {
		// A person at a terminal: what they type reaches the program while it runs (Ctrl-D ends
		// its input), and a program waiting for them is not stopped by the short default wall
		// clock meant for unattended runs.
		req.StdinStream = os.Stdin
		if inv.flags.wallLimit.d == 0 {
			req.Limits.WallTimeMs = executor.MaxLimits().WallTimeMs
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
	if name == "run" && (inv.flags.exec.spec == "local" || inv.flags.exec.spec == "") {
		// The sandbox's init starts (an exec, its namespaces, most of its root) while this
		// process loads its languages and reads the file: a one-shot run waits for neither alone.
		sandbox.Prestart()
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
	extra, err := readWith(file, src.Name, f.with)
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
	rt := f.runtime
	if rt == "" && !lang.Default() {
		rt = lang.Runtime // an alias (--lang pypy) or a #! line (bun) named the runtime
	}
	if rt != "" {
		if _, ok := set.Runtime(lang.ID, rt); !ok {
			return executor.Request{}, usageError("%s has no runtime %q; its runtimes: %s", lang.ID, rt, runtimeNames(set, lang.ID))
		}
	}
	return executor.Request{Language: lang.ID, Runtime: rt, Files: append([]executor.File{src}, extra...), Stdin: stdin, Args: progArgs, Limits: lim}, nil
}

// runtimeNames lists the runtimes of language id, "gcc, clang, tcc".
func runtimeNames(set *languages.Set, id string) string {
	var names []string
	for _, l := range set.Runtimes(id) {
		names = append(names, l.Runtime)
	}
	return strings.Join(names, ", ")
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
