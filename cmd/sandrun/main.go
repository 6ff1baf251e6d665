// Command sandrun runs snippets of code in a Linux sandbox, from the terminal, an editor (LSP),
// a browser or over TCP. main only picks the subcommand; each lives in its own file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: run gets the arguments after the subcommand's name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands is the whole CLI. Each entry's function lives in <name>.go.
var commands = map[string]command{
	"run":       {"compile and run a file in the sandbox", runCmd},
	"languages": {"list languages and whether their toolchain is installed", languagesCmd},
	"version":   {"print sandrun's version", versionCmd},
	"watch":     {"re-run a file every time it is saved", watchCmd},
	"serve":     {"serve the browser page and the HTTP API", serveCmd},
	"lsp":       {"speak LSP on stdio (for the VS Code extension)", lspCmd},
	"executor":  {"serve the local sandbox to remote clients over TCP", executorCmd},
	"doctor":    {"report what the sandbox can enforce on this host", doctorCmd},
	"fleet":     {"show the workers, queue and job totals of a NATS fleet", fleetCmd},
}

// exitError carries an exit code out of a subcommand without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	if maybeSandboxInit() {
		return
	}
	os.Exit(mainExit(os.Args[1:]))
}

func mainExit(args []string) int {
	if len(args) == 2 && args[0] == "help" && commands[args[1]].run != nil {
		args = []string{args[1], "--help"} // "sandrun help run" is "sandrun run --help"
	}
	if len(args) == 0 {
		usage(os.Stderr) // a mistake: the list goes with the error stream, exit 2
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stdout) // asked for: on stdout, like every command's --help
		return 0
	}
	if args[0] == "--version" || args[0] == "-v" {
		args[0] = "version"
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "sandrun: unknown command %q; run \"sandrun help\" to list the commands\n", args[0])
		return 2
	}
	ctx, stop := signalContext()
	defer stop()
	err := cmd.run(ctx, args[1:])
	var ee exitError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, new(usageErr)):
		fmt.Fprintf(os.Stderr, "sandrun %s: %v\n", args[0], err)
		return 2
	case errors.As(err, new(couldNotRunErr)):
		fmt.Fprintf(os.Stderr, "sandrun %s: %v\n", args[0], err)
		return 125
	default:
		fmt.Fprintf(os.Stderr, "sandrun %s: %v\n", args[0], err)
		return 1
	}
}

// stopSignal is the cause of the context of a command stopped by Ctrl-C (SIGINT) or SIGTERM.
type stopSignal struct{ sig syscall.Signal }

func (s stopSignal) Error() string { return "stopped by " + s.sig.String() }

// signalContext returns a context that ends, with a stopSignal cause, at the first SIGINT or
// SIGTERM. A second one is left to its default action, which ends sandrun at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(stopSignal{s.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(sigs)
		cancel(nil)
	}
}

// usageErr is a mistake in how a command was called or what it was given (exit code 2).
type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }

// usageError returns an error that prints its message and exits 2.
func usageError(format string, args ...any) error {
	return usageErr{fmt.Sprintf(format, args...)}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sandrun COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nrun \"sandrun COMMAND -h\" for a command's flags")
}
