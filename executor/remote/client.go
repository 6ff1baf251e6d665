package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/internal/future"
)

// Options shape a Client. Zero fields take the defaults named on each.
type Options struct {
	// Token is the shared secret; TokenFile, when Token is empty, names a file holding it
	// (surrounding white space ignored). Tokens never come from a flag value.
	Token     string
	TokenFile string
	// TLSCA names a PEM file of CA certificates; setting it turns TLS on and verifies the
	// executor's certificate against them. TLS, when set, is used as is instead.
	TLSCA string
	TLS   *tls.Config
	// InsecurePlaintext allows sending the token over plain TCP to an executor that is not on
	// this machine. Without it Dial refuses: anyone on the network path could read the token
	// and run code on the executor with it.
	InsecurePlaintext bool

	DialTimeout time.Duration // connect, TLS handshake and authentication; default 5s
	// Heartbeat is how often the client checks, while runs are in flight, that the executor
	// still answers; a check unanswered within HeartbeatTimeout ends the connection and fails
	// its runs. Defaults 2s and 5s.
	Heartbeat        time.Duration
	HeartbeatTimeout time.Duration
	CancelWait       time.Duration // how long Run waits for the executor to confirm a cancel; default 2s
	MaxMessageBytes  int64         // largest frame accepted from the executor; default 1 GiB (a Result may hold 64 MiB per stream, escaped)
	// BusyRetry is the least time Run keeps retrying, with backoff, while the executor
	// answers that its queue is full; a run's wall-time limit, when longer, is its budget.
	// Default 10s; negative means no retry.
	BusyRetry time.Duration
}

func (o *Options) setDefaults() {
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&o.DialTimeout, 5*time.Second)
	defDur(&o.Heartbeat, 2*time.Second)
	defDur(&o.HeartbeatTimeout, 5*time.Second)
	defDur(&o.CancelWait, 2*time.Second)
	if o.BusyRetry == 0 {
		o.BusyRetry = 10 * time.Second
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 1 << 30
	}
}

// Client is an executor.Executor that runs every request on a remote `sandrun executor`. It
// keeps one connection, multiplexes runs over it, and dials again on the next call when the
// connection was lost. It is safe for concurrent use.
type Client struct {
	addr string // host:port
	opts Options

	mu      sync.Mutex
	sess    *session
	dialing *future.Future[*session] // the dial in flight, nil when none; never awaited under mu
	closed  bool
}

var _ executor.Executor = (*Client)(nil)

// Dial connects and authenticates to the executor at addr ("tcp://host:port" or "host:port"),
// so that an unreachable executor or a wrong token is reported at once.
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	hostport, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	opts.setDefaults()
	if opts.Token != "" || opts.TokenFile != "" {
		if err := checkPlaintext(hostport, opts); err != nil {
			return nil, err
		}
	}
	if opts.Token == "" && opts.TokenFile != "" {
		if opts.Token, err = ReadToken(opts.TokenFile); err != nil {
			return nil, err
		}
	}
	if opts.TLS == nil && opts.TLSCA != "" {
		host, _, _ := net.SplitHostPort(hostport)
		if opts.TLS, err = ClientTLS(opts.TLSCA, host); err != nil {
			return nil, err
		}
	}
	c := &Client{addr: hostport, opts: opts}
	if _, err := c.session(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// parseAddr accepts "tcp://host:port" and "host:port".
func parseAddr(addr string) (string, error) {
	hp := strings.TrimPrefix(addr, "tcp://")
	host, port, err := net.SplitHostPort(hp)
	if err != nil || host == "" || port == "" || strings.Contains(hp, "/") {
		return "", fmt.Errorf("remote: executor address %q: want tcp://HOST:PORT, e.g. tcp://127.0.0.1:7070", addr)
	}
	return hp, nil
}

// CheckAddr reports whether addr is a tcp://HOST:PORT address Dial accepts.
func CheckAddr(addr string) error {
	_, err := parseAddr(addr)
	return err
}

// checkPlaintext refuses to send a token in the clear to an address off this machine.
func checkPlaintext(hostport string, opts Options) error {
	host, _, _ := net.SplitHostPort(hostport)
	if opts.TLS != nil || opts.TLSCA != "" || opts.InsecurePlaintext || isLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("remote: refusing to send the token to %s over plain TCP: anyone on the network path could read it and run code on that executor; start the executor with --tls-cert/--tls-key and pass --tls-ca here, or pass --insecure-plaintext if this network is trusted", hostport)
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP address. Other names are
// not resolved: what they resolve to may change.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// session returns the live connection, dialing a new one when there is none. The dial runs
// outside c.mu; callers that arrive while it is in flight wait for the same one.
func (c *Client) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClientClosed
	}
	if c.sess != nil && c.sess.alive() {
		s := c.sess
		c.mu.Unlock()
		return s, nil
	}
	d := c.dialing
	if d == nil {
		d = future.Start(ctx, c.dial)
		c.dialing = d
	}
	c.mu.Unlock()
	return d.Wait(ctx)
}

var errClientClosed = errors.New("remote: client is closed")

// dial connects a new session (bounded by Options.DialTimeout) and makes it the live one.
func (c *Client) dial(ctx context.Context) (*session, error) {
	s, err := dialSession(ctx, c.addr, c.opts)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dialing = nil
	switch {
	case err != nil:
		return nil, err
	case c.closed:
		s.fail(errors.New("client closed"))
		return nil, errClientClosed
	}
	c.sess = s
	return s, nil
}

// Run implements executor.Executor: the request runs on the remote executor, its output
// arrives through onEvent in order, and canceling ctx cancels the remote run. When the
// connection is lost mid-run, Run returns an error wrapping ErrDisconnected within seconds.
// req.StdinStream, when set, is read while the run is in flight and its input sent on (see
// MethodStdin); Run does not wait for a Read that is blocked when the run ends, so the caller
// ends the stream (e.g. executor.StdinFeed.Close) once Run returns.
func (c *Client) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	res, err := c.runRetry(ctx, req, onEvent)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		!executor.IsRequestError(err) && !errors.Is(err, executor.ErrBusy) {
		err = fmt.Errorf("remote: run on %s: %w", c.addr, err)
	}
	return res, err
}

// runRetry runs req, trying again with backoff while the executor answers busy (its queue is
// full), for as long as the run's wall budget (its wall-time limit, at least BusyRetry) lasts.
func (c *Client) runRetry(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	deadline := time.Now().Add(max(req.Limits.WallTime(), c.opts.BusyRetry))
	if c.opts.BusyRetry < 0 {
		deadline = time.Time{}
	}
	wait := 50 * time.Millisecond
	for {
		s, err := c.session(ctx)
		if err != nil {
			return executor.Result{}, err
		}
		res, err := s.run(ctx, req, onEvent)
		// Only a full queue is worth waiting for: this connection's own limit and a server
		// shutting down are not.
		if err != executor.ErrBusy || time.Now().Add(wait).After(deadline) {
			return res, err
		}
		t := time.NewTimer(wait + time.Duration(rand.Int64N(int64(wait))))
		select {
		case <-ctx.Done():
			t.Stop()
			return executor.Result{}, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// Languages implements executor.Executor with the remote executor's languages and versions.
func (c *Client) Languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	s, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	var langs []executor.LanguageInfo
	if err := s.call(ctx, MethodLanguages, nil, &langs); err != nil {
		return nil, fmt.Errorf("remote: languages from %s: %w", c.addr, err)
	}
	return langs, nil
}

// Capacity implements executor.Executor with the remote executor's load.
func (c *Client) Capacity(ctx context.Context) (executor.Capacity, error) {
	s, err := c.session(ctx)
	if err != nil {
		return executor.Capacity{}, err
	}
	var cp executor.Capacity
	if err := s.call(ctx, MethodHealth, nil, &cp); err != nil {
		return executor.Capacity{}, fmt.Errorf("remote: health of %s: %w", c.addr, err)
	}
	return cp, nil
}

// Addr returns the executor's host:port.
func (c *Client) Addr() string { return c.addr }

// Close closes the connection; runs in flight fail. Later calls fail.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.sess != nil {
		c.sess.fail(errors.New("client closed"))
	}
	return nil
}
