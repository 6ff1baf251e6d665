package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/executor/spec"
)

// executorCmd serves the local sandbox over TCP, or as a fleet worker with --nats (or both),
// until SIGTERM or Ctrl-C, then shuts down gracefully: no new connections, runs or jobs; runs
// in flight get --grace to finish, then are killed. A fleet worker hands the jobs it must stop
// back to the queue (a second signal does so at once), where another worker runs them.
func executorCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("executor")
	var lf listenFlags
	lf.register(fs, "executor", "listen", "127.0.0.1:7070", "TCP address to listen on, HOST:PORT (a non-loopback host needs --token-file)")
	tokenFile := fs.String("token-file", "", "file holding the shared token clients must present")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, clients connect with --tls-ca")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	slots := fs.Int("slots", 0, "runs at once (default: the number of CPUs)")
	queue := fs.Int("queue", defaultExecutorQueue, "runs that may wait for a slot before clients get \"executor busy\" (0 means no queue); a burst waits here instead of being refused")
	perConn := fs.Int("max-runs-per-conn", 0, "runs in flight on one connection (default 64)")
	maxMsg := fs.String("max-message", "128MiB", "largest message a client may send (a request carries its sources and stdin in base64)")
	outputBudget := fs.String("output-budget", "64MiB", "total output of one TCP client's run (every stage, case and stream together; a client's smaller budget stands); past it the run stops with output_limit; off for the client's own")
	natsURL := fs.String("nats", "", "join a fleet: pull jobs from NATS JetStream at nats://HOST:PORT[,nats://…] (TCP only with an explicit --listen)")
	fleetQueue := fs.Int("fleet-queue", fleet.DefaultQueueMax, "with --nats: jobs the fleet's stream holds before submissions get \"busy\" (when this worker creates it)")
	var only multiFlag
	fs.Var(&only, "languages", "with --nats: pull jobs only for these languages (ids: python) and runtimes (javascript/bun), comma-separated or repeated (default: every runtime installed)")
	insecure := fs.Bool("insecure-plaintext", false, insecurePlaintextUsage)
	var nf natsFlags
	nf.register(fs)
	var cache cacheFlags
	cache.register(fs, false)
	var hk hookFlags
	hk.register(fs)
	if err := parseFlags(fs, "usage: sandrun executor [flags]\n\nServes the local sandbox to remote clients over TCP (--listen) and/or as a NATS fleet worker (--nats).", args); err != nil {
		return err // errHelpShown after --help: exit 0
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; the executor takes only flags", fs.Arg(0))
	}
	listenSet := false
	fs.Visit(func(f *flag.Flag) { listenSet = listenSet || f.Name == "listen" })
	if (nf.set() || len(only) > 0) && *natsURL == "" {
		return usageError("the --nats-* flags and --languages need --nats nats://HOST:PORT")
	}
	if *fleetQueue < 1 {
		return usageError("--fleet-queue must be at least 1")
	}
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
	switch *outputBudget {
	case "off", "0":
		opts.OutputBudget = -1
	default:
		if opts.OutputBudget, err = parseBytes(*outputBudget); err != nil || opts.OutputBudget < 1<<10 {
			return usageError("--output-budget %q: want a size of at least 1KiB, e.g. 64MiB, or off", *outputBudget)
		}
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
	if *queue == 0 {
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
	ex, stopHooks, err := hk.wrap(ex, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	defer stopHooks()
	if *natsURL != "" {
		conn := nf.conn(*natsURL, "sandrun executor")
		conn.QueueMax = *fleetQueue
		conn.InsecurePlaintext = *insecure
		grace := lf.grace
		if grace == 0 {
			grace = -1 // hand back at once
		}
		w, err := fleet.NewWorker(ctx, fleet.WorkerOptions{Conn: conn, Executor: ex, Slots: *slots, Languages: only, Grace: grace,
			Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, "sandrun executor: "+format+"\n", args...) }})
		if err != nil {
			switch {
			case strings.Contains(err.Error(), "want nats://"):
				return usageError("--nats: %v", err)
			case strings.Contains(err.Error(), "matches no runtime"):
				return usageError("--languages: %v", err)
			case strings.Contains(err.Error(), "refusing"):
				return usageError("%v", err)
			}
			return err
		}
		fmt.Fprintf(os.Stderr, "sandrun executor %s: fleet worker %s joining %s (%d slots; %d languages, %d runtimes)\n",
			executor.Version, w.ID(), *natsURL, w.Slots(), len(w.Languages()), len(w.Runtimes()))
		if !listenSet {
			return serveWorker(ctx, w, lf.grace)
		}
		go func() {
			if err := serveWorker(ctx, w, lf.grace); err != nil {
				fmt.Fprintf(os.Stderr, "sandrun executor: fleet worker: %v\n", err)
			}
		}()
	}
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

// defaultExecutorQueue is how many runs `sandrun executor` lets wait for a slot: as many as the
// server takes in flight (remote.ServerOptions.MaxRuns), so that a burst queues.
const defaultExecutorQueue = 512

// serveWorker runs w until ctx ends, then drains it: the jobs running have grace to finish; a
// second SIGTERM or Ctrl-C hands them back to the queue at once.
func serveWorker(ctx context.Context, w *fleet.Worker, grace time.Duration) error {
	served := make(chan error, 1)
	go func() { served <- w.Serve(ctx) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(os.Stderr, "sandrun executor: fleet worker %s draining: no new jobs; jobs running have %s to finish, then go back to the queue (signal again to hand them back now)\n", w.ID(), grace)
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	for {
		select {
		case err := <-served:
			fmt.Fprintf(os.Stderr, "sandrun executor: fleet worker %s stopped\n", w.ID())
			return err
		case <-again:
			w.HandBack()
		}
	}
}
