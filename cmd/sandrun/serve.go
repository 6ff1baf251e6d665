package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"strings"

	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/executor/spec"
	"github.com/sandrun/sandrun/web"
)

// serveCmd serves the browser page and the HTTP API (see docs/http.md) until SIGTERM or Ctrl-C,
// then shuts down gracefully: no new requests; runs in flight get --grace to finish.
func serveCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var lf listenFlags
	lf.register(fs, "serve", "addr", "127.0.0.1:8080", "HOST:PORT to listen on (a non-loopback host needs --api-token-file)")
	execSpec := fs.String("executor", "local", "where to run: local, or tcp://HOST:PORT")
	tokenFile := fs.String("token-file", "", "file holding the remote executor's token (with --executor tcp://)")
	tlsCA := fs.String("tls-ca", "", "CA certificate (PEM) to verify a TLS remote executor")
	insecure := fs.Bool("insecure-plaintext", false, insecurePlaintextUsage)
	apiTokenFile := fs.String("api-token-file", "", "file holding a token every API call must present (Authorization: Bearer); default: the API is open")
	var origins, publicHosts multiFlag
	fs.Var(&publicHosts, "public-host", "host name (with or without :PORT) this server is reached by through a proxy; requests with another Host get 421 (repeatable; default: only its address, localhost, 127.0.0.1, [::1])")
	fs.Var(&origins, "cors-origin", "origin allowed to call the API from its pages, e.g. https://example.com, or * (repeatable; default: none)")
	rate := fs.String("rate", web.DefaultRate.String(), "runs one client IP may start, as N/s, N/min or N/h, or off")
	maxBody := fs.String("max-body", "4MiB", "largest request body or WebSocket message")
	outputBudget := fs.String("output-budget", "32MiB", "total output of one request (every stage, case and stream together); past it the run stops with output_limit; off for none")
	logFormat := fs.String("log-format", "text", "request log format on stderr: text or json")
	var cache cacheFlags
	cache.register(fs, false)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; serve takes only flags", fs.Arg(0))
	}

	opts := web.Options{CORSOrigins: origins, PublicHosts: publicHosts}
	var err error
	if opts.Rate, err = web.ParseRate(*rate); err != nil {
		return usageError("--rate: %v", err)
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
	eo := spec.Options{TokenFile: *tokenFile, TLSCA: *tlsCA, InsecurePlaintext: *insecure}
	if err := cache.apply(&eo.Local); err != nil {
		return err
	}
	exec, closeExec, err := openExecutor(ctx, *execSpec, eo)
	if err != nil {
		return err
	}
	defer closeExec()
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
	opts.Logger.Info("serving", "url", "http://"+ln.Addr().String(), "executor", *execSpec, "rate", opts.Rate.String(),
		"api_token", opts.APIToken != "", "cors", strings.Join(origins, ","))
	return lf.serveUntilDone(ctx, srv, ln)
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
