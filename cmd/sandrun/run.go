package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/spec"
	"github.com/sandrun/sandrun/languages"
)

// runFlags are the flags of `sandrun run` (and `sandrun watch`, which shares them).
type runFlags struct {
	lang, stdinFile          string
	runtime                  string
	timeLimit, wallLimit     time.Duration
	memoryLimit              string
	execSpec, tokenFile, tca string
	insecure                 bool
	json                     bool
	cache                    cacheFlags
	nats                     natsFlags
	// oneShot: one run and exit (`sandrun run`): no pool of sandboxes, so nothing is reset or
	// kept ready after the run only to be closed.
	oneShot bool
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.lang, "lang", "", "language id or alias (default: from the extension or #! line)")
	fs.StringVar(&f.runtime, "runtime", "", "the language's runtime, e.g. clang, pypy, bun, deno (default: the language's default; \"sandrun languages\" lists them)")
	fs.StringVar(&f.stdinFile, "stdin", "", "file to give the program as stdin (default: sandrun's stdin when it is not a terminal)")
	fs.DurationVar(&f.timeLimit, "time-limit", 0, "CPU time limit, e.g. 2s (default 2s, or the language's)")
	fs.DurationVar(&f.wallLimit, "wall-limit", 0, "wall-clock limit, e.g. 5s (default 2×CPU+1s)")
	fs.StringVar(&f.memoryLimit, "memory-limit", "", "memory limit, e.g. 256MiB (default 256MiB, or the language's)")
	fs.StringVar(&f.execSpec, "executor", "local", "where to run: local, tcp://HOST:PORT, or a fleet at nats://HOST:PORT[,…]")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the remote executor's token (with nats://, the NATS token)")
	fs.StringVar(&f.tca, "tls-ca", "", "CA certificate (PEM) to verify a TLS remote executor (or NATS server)")
	f.nats.register(fs)
	fs.BoolVar(&f.insecure, "insecure-plaintext", false, insecurePlaintextUsage)
	fs.BoolVar(&f.json, "json", false, "print one Result JSON object instead of the live output")
	f.cache.register(fs, true)
}

// open returns the executor the flags ask for.
func (f *runFlags) open(ctx context.Context) (executor.Executor, func() error, error) {
	opts := spec.Options{TokenFile: f.tokenFile, TLSCA: f.tca, InsecurePlaintext: f.insecure, NATS: f.nats.conn("", "sandrun")}
	if f.nats.set() && !strings.HasPrefix(f.execSpec, "nats://") && !strings.HasPrefix(f.execSpec, "tls://") {
		return nil, nil, usageError("the --nats-* flags go with --executor nats://HOST:PORT")
	}
	if err := f.cache.apply(&opts.Local); err != nil {
		return nil, nil, err
	}
	if f.oneShot {
		opts.Local.PoolSize = -1
	}
	return openExecutor(ctx, f.execSpec, opts)
}

// limits turns the flags into run-stage limits (zero fields mean defaults).
func (f *runFlags) limits() (executor.Limits, error) {
	var l executor.Limits
	if f.timeLimit < 0 || f.wallLimit < 0 {
		return l, usageError("limits must be positive")
	}
	l.CPUTimeMs = f.timeLimit.Milliseconds()
	if f.timeLimit > 0 && l.CPUTimeMs == 0 {
		l.CPUTimeMs = 1
	}
	l.WallTimeMs = f.wallLimit.Milliseconds()
	if f.memoryLimit != "" {
		n, err := parseBytes(f.memoryLimit)
		if err != nil {
			return l, usageError("--memory-limit: %v", err)
		}
		l.MemoryBytes = n
	}
	return l, nil
}

// parseInterleaved parses flags that may come before or after positional arguments; everything
// after a "--" is returned as passthrough.
func parseInterleaved(fs *flag.FlagSet, args []string) (positional, passthrough []string, err error) {
	for i, a := range args {
		if a == "--" {
			args, passthrough = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, usageError("%v", err)
		}
		if fs.NArg() == 0 {
			return positional, passthrough, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runCmd(ctx context.Context, args []string) error {
	inv, err := parseRunInvocation("run", "usage: sandrun run [flags] FILE [-- ARGS…]", args, nil)
	if inv == nil || err != nil {
		return err
	}
	inv.flags.oneShot = true
	ex, closeEx, err := inv.flags.open(ctx)
	if err != nil {
		if errors.As(err, new(usageErr)) {
			return err
		}
		return cannotRun(os.Stderr, err)
	}
	defer closeEx()
	req := inv.req
	if inv.flags.stdinFile == "" && !inv.flags.json && term.IsTerminal(int(os.Stdin.Fd())) {
		// A person at a terminal: what they type reaches the program while it runs (Ctrl-D ends
		// its input), and a program waiting for them is not stopped by the short default wall
		// clock meant for unattended runs.
		req.StdinStream = os.Stdin
		if inv.flags.wallLimit == 0 {
			req.Limits.WallTimeMs = executor.MaxLimits().WallTimeMs
		}
	}
	return runOnce(ctx, ex, req, inv.flags.json, os.Stdout, os.Stderr)
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
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, usage)
		fs.PrintDefaults()
	}
	inv.flags.register(fs)
	if extra != nil {
		extra(fs)
	}
	pos, progArgs, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		fs.Usage()
		return nil, usageError("give exactly one FILE (program arguments go after --)")
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
	stdin, err := f.readStdin()
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
	return executor.Request{Language: lang.ID, Runtime: rt, Files: []executor.File{src}, Stdin: stdin, Args: progArgs, Limits: lim}, nil
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
// a terminal, else nothing (runCmd then streams the terminal to the program as it runs).
func (f *runFlags) readStdin() ([]byte, error) {
	var r io.Reader
	switch {
	case f.stdinFile != "":
		file, err := os.Open(f.stdinFile)
		if err != nil {
			return nil, fmt.Errorf("--stdin: %w", err)
		}
		defer file.Close()
		r = file
	case !term.IsTerminal(int(os.Stdin.Fd())):
		r = os.Stdin
	default:
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(r, executor.MaxStdinSize+1))
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	if len(data) > executor.MaxStdinSize {
		return nil, fmt.Errorf("stdin is larger than %s, the most a run accepts", executor.FormatBytes(executor.MaxStdinSize))
	}
	return data, nil
}

// runOnce runs req and reports it: live output and a status line, or one JSON Result. It
// returns an exitError carrying the program's exit code.
func runOnce(ctx context.Context, ex executor.Executor, req executor.Request, asJSON bool, stdout, stderr io.Writer) error {
	var onEvent func(executor.Event)
	var sp *spinner
	if !asJSON {
		if req.StdinStream == nil { // a spinner would draw over what the person types
			sp = startSpinner(stderr)
		}
		onEvent = func(ev executor.Event) {
			sp.stop()
			if ev.Restart > 0 {
				fmt.Fprint(stderr, ev.RestartNote())
				return
			}
			w := stdout
			if ev.Stream == executor.Stderr || ev.Stage == executor.StageCompile {
				w = stderr
			}
			w.Write(ev.Data)
		}
	}
	res, err := ex.Run(ctx, req, onEvent)
	sp.stop()
	if err != nil {
		if executor.IsRequestError(err) {
			return usageError("%v", err)
		}
		return cannotRun(stderr, err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(res)
	}
	if res.Status != executor.StatusOK {
		fmt.Fprintf(stderr, "sandrun: %s: %s (%s)\n", res.Status, res.Message, resourceLine(res))
	}
	if code := exitCode(res); code != 0 {
		return exitError{code}
	}
	return nil
}

// cannotRun reports that sandrun could not run the program (the executor unreachable, refused,
// busy or failing) and gives exit code 125; Ctrl-C stays the context's error.
func cannotRun(stderr io.Writer, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintf(stderr, "sandrun run: %v\n", err)
	return exitError{125}
}

// resourceLine sums up a Result's measurements: "exit 0 · cpu 12 ms · wall 30 ms · mem 8.1 MiB".
func resourceLine(r executor.Result) string {
	return fmt.Sprintf("exit %d · cpu %d ms · wall %d ms · mem %s", r.ExitCode, r.CPUTimeMs, r.WallTimeMs, executor.FormatBytes(r.MemoryKiB*1024))
}

// exitCode is what `sandrun run` exits with: the program's code, 128+signal when a signal
// ended it, 1 for a compile error or a limit with no signal, 125 when the sandbox failed.
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
	case r.Status == executor.StatusRuntimeError && r.ExitCode > 0:
		return r.ExitCode
	}
	return 1
}
