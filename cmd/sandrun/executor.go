package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/executor/spec"
)

// executorCmd serves the local sandbox over TCP until SIGTERM or Ctrl-C, then shuts down
// gracefully: no new connections or runs, runs in flight get --grace to finish, then are killed.
func executorCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("executor", flag.ContinueOnError)
	var lf listenFlags
	lf.register(fs, "executor", "listen", "127.0.0.1:7070", "TCP address to listen on, HOST:PORT (a non-loopback host needs --token-file)")
	tokenFile := fs.String("token-file", "", "file holding the shared token clients must present")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, clients connect with --tls-ca")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	slots := fs.Int("slots", 0, "runs at once (default: the number of CPUs)")
	queue := fs.Int("queue", 0, "runs that may wait for a slot before clients get \"executor busy\" (default 4×slots; 0 when given means no queue)")
	perConn := fs.Int("max-runs-per-conn", 0, "runs in flight on one connection (default 64)")
	maxMsg := fs.String("max-message", "128MiB", "largest message a client may send (a request carries its sources and stdin in base64)")
	var cache cacheFlags
	cache.register(fs, false)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; the executor takes only flags", fs.Arg(0))
	}
	queueSet := false
	fs.Visit(func(f *flag.Flag) { queueSet = queueSet || f.Name == "queue" })
	if *slots < 0 || *queue < 0 || *perConn < 0 {
		return usageError("--slots, --queue and --max-runs-per-conn must not be negative")
	}
	msgBytes, err := parseBytes(*maxMsg)
	if err != nil || msgBytes < 1<<10 {
		return usageError("--max-message %q: want a size of at least 1KiB, e.g. 128MiB", *maxMsg)
	}

	opts := remote.ServerOptions{
		MaxMessageBytes: msgBytes,
		MaxRunsPerConn:  *perConn,
		Log:             slog.New(slog.NewTextHandler(os.Stderr, nil)),
	}
	if *tokenFile != "" {
		if opts.Token, err = remote.ReadToken(*tokenFile); err != nil {
			return usageError("--token-file: %v", err)
		}
	}
	if err := lf.check(opts.Token != "", "--token-file"); err != nil {
		return err
	}
	if *tlsCert != "" || *tlsKey != "" {
		if opts.TLS, err = remote.ServerTLS(*tlsCert, *tlsKey); err != nil {
			return usageError("%v", err)
		}
	}

	lo := local.Options{Slots: *slots, QueueMax: *queue}
	if queueSet && *queue == 0 {
		lo.QueueMax = -1
	}
	if err := cache.apply(&lo); err != nil {
		return err
	}
	ex, closer, err := spec.Open(ctx, "local", spec.Options{Local: lo, Notes: os.Stderr})
	if err != nil {
		return err
	}
	defer closer.Close()
	ln, err := lf.listen()
	if err != nil {
		return err
	}
	// Finding the installed toolchains takes seconds; do it now rather than in the first run.
	go ex.Languages(ctx)
	srv := remote.NewServer(ex, opts)

	cp, _ := ex.Capacity(ctx)
	mode := "plain TCP"
	if opts.TLS != nil {
		mode = "TLS"
	}
	auth := "token required"
	if opts.Token == "" {
		auth = "no token: any local process may run code"
	}
	fmt.Fprintf(os.Stderr, "sandrun executor %s listening on tcp://%s (%s, %s; %d slots, queue %d)\n",
		executor.Version, ln.Addr(), mode, auth, cp.Slots, cp.QueueMax)

	return lf.serveUntilDone(ctx, srv, ln)
}
