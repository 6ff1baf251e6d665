package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/hooks"
	"github.com/sandrun/sandrun/languages"
)

// Options configure a Server. The zero value of every field but Executor is a usable default.
type Options struct {
	Executor executor.Executor

	// APIToken, when set, must be presented by every API call (see auth.go for how the page
	// presents it). Empty means the API is open.
	APIToken string
	// PublicHosts are the host names (with or without a port) this server also answers to, as
	// reached through a proxy (e.g. "sandrun.example.com"). Besides them it answers only to its
	// listen address, localhost, 127.0.0.1 and [::1]: other Host headers get 421, which stops
	// DNS rebinding.
	PublicHosts []string
	// CORSOrigins lists the origins (e.g. "https://example.com", or "*") allowed to call the API
	// from a browser page served elsewhere. Empty means no cross-origin access.
	CORSOrigins []string
	// Rate is how many runs one client IP may start per period (a token bucket: bursts of up to
	// N, refilled evenly). The zero value means DefaultRate; a negative N means unlimited.
	Rate Rate
	// MaxConnsPerIP bounds the connections one client address (the TCP peer, as for Rate) may
	// hold open at once, HTTP keep-alive and WebSocket alike; MaxConns bounds all of them
	// together. Past either, a new connection is answered 503 and closed. 0 means
	// DefaultMaxConnsPerIP / DefaultMaxConns; a negative value means no cap.
	MaxConnsPerIP int
	MaxConns      int
	// MaxBodyBytes bounds a request body and a WebSocket message. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// OutputBudget bounds the output of one request: stdout and stderr of every stage and case
	// together, in bytes; past it the run stops with output_limit. 0 means
	// DefaultOutputBudget; a negative value means no total bound (each stream keeps its limit).
	// A run in flight holds about twice its output in memory (the Result, and for Piston the
	// interleaved "output"), so slots × 2 × OutputBudget bounds what runs hold.
	OutputBudget int64
	// MaxLimits are the largest limits a request may ask for. Zero fields take DefaultMaxLimits().
	MaxLimits executor.Limits
	// Logger receives one line per request. nil means slog.Default().
	Logger *slog.Logger
	// CallbackAllow lists the hosts (name or name:port) a job's callback_url may name; empty
	// means no callback is ever called (docs/jobs.md).
	CallbackAllow []string
	// JobTTL is how long a job is kept after it ended (0: DefaultJobTTL); MaxJobs how many jobs
	// the server keeps at once (0: DefaultMaxJobs; past it, a new job is refused as busy).
	JobTTL  time.Duration
	MaxJobs int
	// Fleet, when the Executor runs jobs on a NATS fleet, reports its status on /api/v1/fleet
	// and in /metrics. When it can also open a bucket of the fleet's JetStream (a
	// *fleet.Client does), the jobs live there instead of in memory (docs/jobs.md).
	Fleet Fleet
}

// Defaults for Options.
const (
	DefaultMaxBodyBytes = 4 << 20
	// DefaultOutputBudget is twice the largest stream a request may ask for: with the default
	// slots (one per CPU) the runs of a busy server hold well under 1 GiB of output.
	DefaultOutputBudget = 32 << 20
)

// DefaultRate is the runs one client may start, unless Options say otherwise.
var DefaultRate = Rate{N: 120, Per: time.Minute}

// Rate is "N runs per period".
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string {
	if r.N < 0 {
		return "off" // as --rate off is written (ParseRate)
	}
	switch r.Per {
	case time.Second:
		return fmt.Sprintf("%d/s", r.N)
	case time.Minute:
		return fmt.Sprintf("%d/min", r.N)
	case time.Hour:
		return fmt.Sprintf("%d/h", r.N)
	}
	return fmt.Sprintf("%d per %s", r.N, r.Per)
}

// ParseRate reads "N/s", "N/min", "N/h", "N" (per minute), or "off" (unlimited: N = -1).
func ParseRate(s string) (Rate, error) {
	if s == "off" || s == "0" {
		return Rate{N: -1, Per: time.Minute}, nil
	}
	num, unit, _ := strings.Cut(s, "/")
	n, err := strconv.Atoi(num)
	per := map[string]time.Duration{"": time.Minute, "s": time.Second, "sec": time.Second, "m": time.Minute,
		"min": time.Minute, "h": time.Hour, "hour": time.Hour}[unit]
	if err != nil || n < 0 || per == 0 {
		return Rate{}, fmt.Errorf("rate %q: write it as N/s, N/min or N/h (e.g. 120/min), or off", s)
	}
	return Rate{N: n, Per: per}, nil
}

// DefaultMaxLimits bound what a request to the HTTP API may ask for, per stage, unless Options say
// otherwise: the front door's policy, within what the executor itself accepts (executor.MaxLimits).
func DefaultMaxLimits() executor.Limits { return defaultMaxLimits }

var defaultMaxLimits = executor.Limits{
	CPUTimeMs:   30_000,
	WallTimeMs:  60_000,
	MemoryBytes: 2 << 30,
	Processes:   256,
	OutputBytes: 16 << 20,
}

// Server is the HTTP front end. Create it with New; it is an http.Handler.
type Server struct {
	// exec is Options.Executor inside the server's hook chain, whose post hook records each
	// run's metrics and log line (observe).
	exec     executor.Executor
	chain    *hooks.Chain
	langs    *languages.Set
	opts     Options
	log      *slog.Logger
	handler  http.Handler
	limiter  *rateLimiter
	conns    *connLimiter
	metrics  *metrics
	registry *prometheus.Registry

	srvOnce sync.Once
	srv     *http.Server

	// listenHost and listenPort are Serve's listener address, for the Host check; empty when
	// the Server is used only as an http.Handler (then loopback names on any port are it).
	listenMu   sync.Mutex
	listenHost string
	listenPort string

	// streams counts WebSocket runs in flight; done closes when Shutdown or Close begins.
	streams sync.WaitGroup
	done    chan struct{}
	doneMu  sync.Mutex
	closed  bool

	jobs     *jobStore // asynchronous jobs (jobs.go)
	instance string    // this server's id among the servers of a fleet (the owner of its jobs)
}

// New builds a Server around opts.Executor.
func New(opts Options) (*Server, error) {
	if opts.Executor == nil {
		return nil, errors.New("web: new: an executor is required")
	}
	langs, err := languages.Load()
	if err != nil {
		return nil, fmt.Errorf("web: new: %w", err)
	}
	switch {
	case opts.Rate.N == 0:
		opts.Rate = DefaultRate
	case opts.Rate.Per <= 0:
		opts.Rate.Per = time.Minute
	}
	switch {
	case opts.OutputBudget == 0:
		opts.OutputBudget = DefaultOutputBudget
	case opts.OutputBudget < 0:
		opts.OutputBudget = 0
	}
	if opts.MaxConnsPerIP == 0 {
		opts.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	opts.MaxLimits = opts.MaxLimits.Fill(defaultMaxLimits)
	if opts.JobTTL <= 0 {
		opts.JobTTL = DefaultJobTTL
	}
	if opts.MaxJobs <= 0 {
		opts.MaxJobs = DefaultMaxJobs
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		exec:     opts.Executor,
		langs:    langs,
		opts:     opts,
		log:      opts.Logger,
		registry: prometheus.NewRegistry(),
		done:     make(chan struct{}),
		instance: hooks.NewID(),
	}
	if opts.Rate.N > 0 {
		s.limiter = newRateLimiter(opts.Rate.N, opts.Rate.Per)
	}
	s.conns = newConnLimiter(opts.MaxConnsPerIP, opts.MaxConns, opts.Logger)
	s.metrics = newMetrics(s.registry, opts.Executor)
	s.conns.register(s.registry)
	s.chain = hooks.New(opts.Executor, nil, []hooks.Post{s.observe})
	s.exec = s.chain
	var back jobBackend = newMemJobs(opts.JobTTL, opts.MaxJobs)
	if b, ok := opts.Fleet.(bucketOpener); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		bucket, err := b.OpenBucket(ctx, jobsBucket, opts.JobTTL)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("web: the fleet's job store: %w", err)
		}
		back = newKVJobs(bucket, s.instance, s.log)
	}
	s.jobs = newJobStore(s, back, s.instance, opts.MaxJobs)
	if k, ok := back.(*kvJobs); ok {
		if f, ok := opts.Fleet.(jobFinder); ok {
			s.jobs.find, k.find = f, f
		}
		k.adopt, k.ended = s.jobs.adopt, s.jobs.ended
		if err := k.watchCancels(func(id string) { s.jobs.cancelHere(id) }); err != nil {
			k.close()
			return nil, fmt.Errorf("web: the fleet's job store: %w", err)
		}
		k.startSweep()
	}
	if opts.Fleet != nil {
		s.registry.MustRegister(fleetCollector{opts.Fleet})
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve answers HTTP on ln until Shutdown or Close, then returns http.ErrServerClosed: the
// lifecycle of net/http's Server, and of remote.Server.
func (s *Server) Serve(ln net.Listener) error {
	s.listening(ln.Addr())
	return s.httpServer().Serve(limitListener{Listener: ln, l: s.conns})
}

// Shutdown stops accepting, lets requests and WebSocket runs in flight finish until ctx ends,
// and returns. It returns ctx's error when they had to be cut short.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginShutdown()
	srv := s.httpServer()
	err := srv.Shutdown(ctx)
	streamsDone := make(chan struct{})
	go func() { s.streams.Wait(); close(streamsDone) }()
	select {
	case <-streamsDone:
	case <-ctx.Done():
		s.log.Warn("shutdown grace ended with WebSocket runs still going")
		if err == nil {
			err = ctx.Err()
		}
	}
	s.jobs.close()
	s.chain.Close()
	if err != nil {
		srv.Close()
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// Close stops at once: listeners and connections close, runs in flight are canceled.
func (s *Server) Close() error {
	s.beginShutdown()
	err := s.httpServer().Close()
	s.jobs.close()
	s.chain.Close()
	return err
}

// httpServer is the net/http server behind Serve, made once.
func (s *Server) httpServer() *http.Server {
	s.srvOnce.Do(func() {
		s.srv = &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
			// No ReadTimeout/WriteTimeout: a run may take minutes and a WebSocket stays open for
			// its whole run. Bodies get a read deadline in decodeJSON; runs are bounded by limits.
		}
	})
	return s.srv
}

// beginShutdown tells long-lived handlers to wind down; it is safe to call more than once.
func (s *Server) beginShutdown() {
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

// Registry returns the Prometheus registry /metrics serves, for tests and embedding.
func (s *Server) Registry() *prometheus.Registry { return s.registry }
