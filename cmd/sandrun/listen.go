package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sandrun/sandrun/executor/spec"
)

// listenFlags are the flags of a command that serves until SIGTERM (serve, executor): where to
// listen and how long runs in flight may go on when told to stop.
type listenFlags struct {
	name  string // the command, for messages
	flag  string // the address flag's name
	def   string // its default, the example of the form an address takes
	addr  string
	grace time.Duration
}

func (l *listenFlags) register(fs *flag.FlagSet, name, addrFlag, def, usage string) {
	l.name, l.flag, l.def = name, addrFlag, def
	fs.StringVar(&l.addr, addrFlag, def, usage)
	fs.DurationVar(&l.grace, "grace", 30*time.Second, "on SIGTERM or Ctrl-C, how long requests and runs in flight may go on before they are stopped (signal again to stop them at once)")
}

// check applies the flags' rules: a grace that is not negative, and the loopback rule (see
// spec.CheckListen) with the flag that gives the token.
func (l *listenFlags) check(haveToken bool, tokenFlag string) error {
	if l.grace < 0 {
		return usageError("--grace must not be negative, e.g. 30s")
	}
	return specUsage(spec.CheckListen(l.addr, l.def, haveToken, tokenFlag))
}

func (l *listenFlags) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		why := err // "listen tcp ADDR: bind: address already in use": keep only the reason
		var se *os.SyscallError
		if errors.As(err, &se) {
			why = se.Err
		}
		return nil, fmt.Errorf("cannot listen on %s (--%s): %w", l.addr, l.flag, why)
	}
	return ln, nil
}

// server is the lifecycle web.Server and remote.Server share (that of net/http's Server).
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// serveUntilDone serves srv on ln until ctx ends (SIGTERM, Ctrl-C), then shuts it down within the
// grace; a second signal stops the runs at once. A clean stop returns nil.
func (l *listenFlags) serveUntilDone(ctx context.Context, srv server, ln net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(os.Stderr, "sandrun %s: shutting down; runs in flight have %s to finish (signal again to stop them now)\n", l.name, l.grace)
	sctx, cancel := context.WithTimeout(context.Background(), l.grace)
	defer cancel()
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	go func() {
		select {
		case <-again:
			cancel()
		case <-sctx.Done():
		}
	}()
	err := srv.Shutdown(sctx)
	<-served
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandrun %s: runs still in flight were stopped\n", l.name)
		return nil
	}
	fmt.Fprintf(os.Stderr, "sandrun %s: stopped\n", l.name)
	return nil
}
