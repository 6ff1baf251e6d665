package main

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/spec"
	"github.com/sandrun/sandrun/lsp"
)

// lspCmd speaks LSP on stdin/stdout for the VS Code extension (docs/lsp.md). stdout carries only
// protocol frames: the log, and anything else that would print, goes to stderr.
func lspCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("lsp")
	fs.Bool("stdio", true, "speak on stdin/stdout (the only transport; accepted because vscode-languageclient passes it)")
	fs.Int("clientProcessId", 0, "the editor's process id (accepted for vscode-languageclient; initialize's processId is what is watched)")
	var ef executorFlags
	ef.register(fs)
	timeLimit := fs.Duration("time-limit", 0, "default CPU time limit of a run, e.g. 2s (default: the language's)")
	memoryLimit := fs.String("memory-limit", "", "default memory limit of a run, e.g. 256MiB; a bare number is MiB (default: the language's)")
	trace := fs.Bool("trace", false, "log every message's method and id to stderr")
	var cache cacheFlags
	cache.register(fs, false)
	if err := parseFlags(fs, "usage: sandrun lsp [--stdio] [flags]\n\nSpeaks LSP on stdin/stdout. The client's settings (sandrun.executor, sandrun.tokenFile, …) override these\ndefaults; --insecure-plaintext and the --nats-* flags come from the command line only.", args); err != nil {
		return err // errHelpShown after --help: exit 0
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q: sandrun lsp takes only flags", fs.Arg(0))
	}
	if *timeLimit < 0 {
		return usageError("--time-limit must be positive")
	}
	var mem int64
	if *memoryLimit != "" {
		n, err := parseSize(*memoryLimit, 1<<20)
		if err != nil {
			return usageError("--memory-limit %s %v", *memoryLimit, err)
		}
		mem = n
	}
	eo, err := ef.options("sandrun lsp")
	if err != nil {
		return err
	}
	if err := cache.apply(&eo.Local); err != nil {
		return err
	}
	srv, err := lsp.New(lsp.Options{
		Open:      openForLSP(eo),
		CheckSpec: spec.Check,
		Defaults:  lsp.Settings{Executor: ef.spec, TokenFile: ef.tokenFile, TLSCA: ef.tlsCA, TimeLimit: *timeLimit, MemoryLimit: mem},
		Log:       os.Stderr,
		Trace:     *trace,
	})
	if err != nil {
		return err
	}
	// Keep the protocol's stdout to ourselves: whatever else prints goes to stderr.
	out := os.Stdout
	os.Stdout = os.Stderr
	err = srv.Serve(ctx, stdio{in: pollableStdin(), out: out})
	switch {
	case errors.Is(err, lsp.ErrExitWithoutShutdown):
		return exitError{1}
	case errors.Is(err, context.Canceled):
		return nil // Ctrl-C or SIGTERM
	}
	return err
}

// openForLSP opens the executor the client's settings name, with the token file and CA they
// name. A token file or CA left in the settings while the executor is local is ignored rather
// than refused. The rest of eo (--insecure-plaintext, the --nats-* flags, the local executor's
// options) comes from the command line only, never from the client's settings.
func openForLSP(eo spec.Options) lsp.OpenFunc {
	return func(ctx context.Context, cfg lsp.ExecutorConfig) (executor.Executor, func() error, error) {
		opts := eo
		opts.TokenFile, opts.TLSCA, opts.IgnoreRemoteOptions, opts.Notes = cfg.TokenFile, cfg.TLSCA, true, os.Stderr
		ex, closer, err := spec.Open(ctx, cfg.Spec, opts)
		if err != nil {
			return nil, nil, sentenceErr{executorProblem(err), err}
		}
		return ex, closer.Close, nil
	}
}

// pollableStdin returns stdin as a file whose Close interrupts a blocked Read (so that "exit"
// ends the session at once): in non-blocking mode, Go's poller waits for it. Close puts the
// blocking mode back first, for whoever else shares the descriptor. Where that fails it returns
// os.Stdin.
func pollableStdin() io.ReadCloser {
	fd := int(os.Stdin.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		return os.Stdin
	}
	return restoringFile{os.NewFile(uintptr(fd), "stdin"), fd}
}

type restoringFile struct {
	*os.File
	fd int
}

func (f restoringFile) Close() error {
	syscall.SetNonblock(f.fd, false)
	return f.File.Close()
}

// stdio is stdin and stdout as one connection.
type stdio struct {
	in  io.ReadCloser
	out io.Writer
}

func (s stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s stdio) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s stdio) Close() error                { return s.in.Close() }
