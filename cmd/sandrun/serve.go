package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	neturl "net/url"
	"os"
	"strings"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/executor/spec"
	"github.com/sandrun/sandrun/web"
)

// serveCmd serves the browser page and the HTTP API (see docs/http.md) until SIGTERM or Ctrl-C,
// then shuts down gracefully: no new requests; runs in flight get --grace to finish.
func serveCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("serve")
	var lf listenFlags
	lf.register(fs, "serve", "addr", "127.0.0.1:8080", "HOST:PORT to listen on (a non-loopback host needs --api-token-file)")
	var ef executorFlags
	ef.register(fs)
	apiTokenFile := fs.String("api-token-file", "", "file holding a token every API call must present (Authorization: Bearer); default: the API is open")
	var origins, publicHosts multiFlag
	fs.Var(&publicHosts, "public-host", "host name (with or without :PORT) this server is reached by through a proxy; requests with another Host get 421 (repeatable; default: only its address, localhost, 127.0.0.1, [::1])")
	fs.Var(&origins, "cors-origin", "origin allowed to call the API from its pages, e.g. https://example.com, or * (repeatable; default: none)")
	rate := fs.String("rate", web.DefaultRate.String(), "runs one client IP may start, as N/s, N/min or N/h, or off")
	maxConnsPerIP := fs.String("max-conns-per-ip", web.ConnCapString(web.DefaultMaxConnsPerIP), "connections (keep-alive or WebSocket) one client IP may hold open at once; more get 503; off for no cap")
	maxConns := fs.String("max-conns", web.ConnCapString(web.DefaultMaxConns), "connections the server holds open at once, from every client together; more get 503; off for no cap")
	maxBody := fs.String("max-body", "4MiB", "largest request body or WebSocket message")
	outputBudget := fs.String("output-budget", "32MiB", "total output of one request (every stage, case and stream together); past it the run stops with output_limit; off for none")
	logFormat := fs.String("log-format", "text", "request log format on stderr: text or json")
	natsListen := fs.String("nats-listen", "", "start an embedded NATS server with JetStream on HOST:PORT, run jobs through it, and let workers on other machines join with \"sandrun executor --nats nats://HOST:PORT\"")
	natsStore := fs.String("nats-store", "", "with --nats-listen: the JetStream store directory (default: $XDG_STATE_HOME/sandrun/nats)")
	noLocalWorker := fs.Bool("no-local-worker", false, "with --nats-listen: run no worker in this process; only joined workers run jobs")
	fleetQueue := fs.Int("fleet-queue", fleet.DefaultQueueMax, "with a fleet: jobs its stream holds before submissions get \"busy\" (when this process creates it)")
	var cache cacheFlags
	cache.register(fs, false)
	var hk hookFlags
	hk.register(fs)
	var jf jobFlags
	jf.register(fs)
	if err := parseFlags(fs, "usage: sandrun serve [flags]\n\nServes the browser page and the HTTP API (docs/http.md) until SIGTERM or Ctrl-C.", args); err != nil {
		return err // errHelpShown after --help: exit 0
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; serve takes only flags", fs.Arg(0))
	}

	opts := web.Options{CORSOrigins: origins, PublicHosts: publicHosts}
	var err error
	if opts.Rate, err = web.ParseRate(*rate); err != nil {
		return usageError("--rate: %v", err)
	}
	if opts.MaxConnsPerIP, err = web.ParseConnCap(*maxConnsPerIP); err != nil {
		return usageError("--max-conns-per-ip %v", err)
	}
	if opts.MaxConns, err = web.ParseConnCap(*maxConns); err != nil {
		return usageError("--max-conns %v", err)
	}
	if opts.MaxBodyBytes, err = parseBytes(*maxBody); err != nil || opts.MaxBodyBytes < 1<<10 {
		return usageError("--max-body %q: want a size of at least 1KiB, e.g. 4MiB", *maxBody)
	}
	switch *outputBudget {
	case "off", "0":
		opts.OutputBudget = -1
	default:
		if opts.OutputBudget, err = parseBytes(*outputBudget); err != nil || opts.OutputBudget < 1<<10 {
			return usageError("--output-budget %q: want a size of at least 1KiB, e.g. 32MiB, or off", *outputBudget)
		}
	}
	if err := jf.apply(&opts); err != nil {
		return err
	}
	switch *logFormat {
	case "text":
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	case "json":
		opts.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	default:
		return usageError("--log-format %q: use text or json", *logFormat)
	}
	for _, o := range origins {
		if o != "*" && !strings.Contains(o, "://") {
			return usageError("--cors-origin %q: give an origin such as https://example.com, or *", o)
		}
	}
	for _, h := range publicHosts {
		if strings.ContainsAny(h, "/ ") {
			return usageError("--public-host %q: give a host name such as sandrun.example.com (no scheme, no path)", h)
		}
	}
	if *apiTokenFile != "" {
		if opts.APIToken, err = remote.ReadToken(*apiTokenFile); err != nil {
			return usageError("--api-token-file: %v", err)
		}
	}

	if err := lf.check(opts.APIToken != "", "--api-token-file"); err != nil {
		return err
	}
	var lo local.Options
	if err := cache.apply(&lo); err != nil {
		return err
	}
	var exec executor.Executor
	execName := ef.spec // what the serving line names
	if *natsListen != "" {
		if !spec.IsLocal(ef.spec) {
			return usageError("--nats-listen runs its own fleet; drop --executor %s", ef.spec)
		}
		if *fleetQueue < 1 {
			return usageError("--fleet-queue must be at least 1")
		}
		c, natsURL, stop, err := startFleet(ctx, *natsListen, *natsStore, !*noLocalWorker, *fleetQueue, ef.nats, lo, opts.Logger)
		if err != nil {
			return err
		}
		defer stop()
		exec, opts.Fleet = c, c
		execName = "fleet at " + natsURL // every run goes through the fleet, not --executor's default
	} else {
		if *natsStore != "" || *noLocalWorker {
			return usageError("--nats-store and --no-local-worker go with --nats-listen HOST:PORT")
		}
		eo, err := ef.options("sandrun serve")
		if err != nil {
			return err
		}
		eo.Local = lo
		eo.NATS.QueueMax = *fleetQueue
		ex, closeExec, err := openExecutor(ctx, ef.spec, eo)
		if err != nil {
			return err
		}
		defer closeExec()
		exec = ex
		if f, ok := ex.(web.Fleet); ok {
			opts.Fleet = f
		}
	}
	exec, stopHooks, err := hk.wrap(exec, opts.Logger)
	if err != nil {
		return err
	}
	defer stopHooks()
	opts.Executor = exec
	srv, err := web.New(opts)
	if err != nil {
		return err
	}
	ln, err := lf.listen()
	if err != nil {
		return err
	}
	// Find the installed toolchains now, so that the first page load does not wait for it.
	go exec.Languages(ctx)
	// web/e2e reads the port of `--addr HOST:0` from this line (msg=serving url=http://…).
	opts.Logger.Info("serving", "url", "http://"+ln.Addr().String(), "executor", execName, "rate", opts.Rate.String(),
		"max_conns_per_ip", web.ConnCapString(opts.MaxConnsPerIP), "max_conns", web.ConnCapString(opts.MaxConns),
		"api_token", opts.APIToken != "", "cors", strings.Join(origins, ","))
	return lf.serveUntilDone(ctx, srv, ln)
}

// startFleet starts the embedded NATS server of `serve --nats-listen`, a local worker (unless
// told not to) and the client the server runs jobs through. stop undoes it all.
func startFleet(ctx context.Context, listen, store string, localWorker bool, queue int, nf natsFlags, lo local.Options, log *slog.Logger) (*fleet.Client, string, func(), error) {
	if nf.creds != "" {
		return nil, "", nil, usageError("--nats-creds is for an external NATS server; the embedded one takes --nats-token-file")
	}
	// Anyone who reaches the NATS server can submit jobs (run code) or pose as a worker: the
	// same loopback rule as every server that runs code on request.
	if err := spec.CheckListen(listen, "127.0.0.1:4222", nf.tokenFile != "", "--nats-token-file"); err != nil {
		return nil, "", nil, specUsage(err)
	}
	if nf.tlsCA != "" {
		return nil, "", nil, usageError("--nats-tls-ca is for an external NATS server; the embedded one takes --nats-tls-cert and --nats-tls-key, its own certificate")
	}
	if (nf.tlsCert == "") != (nf.tlsKey == "") {
		return nil, "", nil, usageError("the embedded NATS server's TLS needs both --nats-tls-cert and --nats-tls-key (PEM files)")
	}
	// --nats-tls-cert and --nats-tls-key are the embedded server's certificate: clients and
	// workers must then come over TLS. serve's own client and worker connect in-process.
	emb, err := fleet.StartEmbedded(fleet.EmbeddedOptions{Listen: listen, StoreDir: store, TokenFile: nf.tokenFile, TLSCert: nf.tlsCert, TLSKey: nf.tlsKey})
	if err != nil {
		return nil, "", nil, err
	}
	wctx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan struct{})
	var local io.Closer
	if localWorker {
		ex, closer, err := spec.Open(ctx, "local", spec.Options{Local: lo, Notes: os.Stderr})
		if err != nil {
			stopWorker()
			emb.Close()
			return nil, "", nil, err
		}
		local = closer
		go func() {
			defer close(workerDone)
			conn := emb.Local(nf.conn("", "sandrun serve worker"))
			conn.QueueMax = queue
			w, err := fleet.NewWorker(wctx, fleet.WorkerOptions{Conn: conn, Executor: ex})
			if err != nil {
				log.Error("local fleet worker", "err", err)
				return
			}
			log.Info("local fleet worker joined", "worker", w.ID(), "languages", len(w.Languages()))
			_ = w.Serve(wctx)
		}()
	} else {
		close(workerDone)
	}
	conn := emb.Local(nf.conn("", "sandrun serve"))
	conn.QueueMax = queue
	c, err := fleet.Dial(ctx, fleet.ClientOptions{Conn: conn})
	stop := func() {
		if c != nil {
			c.Close()
		}
		stopWorker()
		<-workerDone
		if local != nil {
			local.Close()
		}
		emb.Close()
	}
	if err != nil {
		stop()
		return nil, "", nil, err
	}
	log.Info("fleet", "nats", emb.URL(), "local_worker", localWorker, "join_with", joinHint(emb.URL(), nf))
	return c, emb.URL(), stop, nil
}

// joinHint is the command that joins a worker to the embedded NATS server at url: with the
// flags its token and TLS ask for, and a host another machine can dial where the server listens
// on every address.
func joinHint(url string, nf natsFlags) string {
	if u, err := neturl.Parse(url); err == nil {
		if host := u.Hostname(); host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
			u.Host = net.JoinHostPort("THIS-HOST", u.Port())
			url = u.String()
		}
	}
	hint := "sandrun executor --nats " + url
	if nf.tokenFile != "" {
		hint += " --nats-token-file TOKEN-FILE"
	}
	if nf.tlsCert != "" {
		hint += " --nats-tls-ca CA.pem"
	}
	return hint
}

// multiFlag is a repeatable string flag; each value may also hold a comma-separated list.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*m = append(*m, p)
		}
	}
	return nil
}
