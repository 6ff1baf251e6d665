package remote

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// ServerOptions shape a Server. Zero fields take the defaults named on each.
type ServerOptions struct {
	// Token is the shared secret clients must present first. Empty means no authentication,
	// which Serve allows only on a loopback address.
	Token string
	// TLS, when set, wraps every connection in TLS with this configuration (see ServerTLS).
	TLS *tls.Config

	MaxMessageBytes int64 // largest frame a client may send; default 128 MiB, room for the largest request the local executor accepts (sources and stdin are base64)
	MaxRunsPerConn  int   // runs in flight on one connection; default 64
	MaxRuns         int   // runs in flight on the whole server; default 512 (the executor's own queue bounds it further)
	MaxConns        int   // connections at once; default 256
	// MaxUnauthPerIP bounds the connections from one IP address that have not authenticated
	// yet (only when a Token is set); default 8. More are closed at once.
	MaxUnauthPerIP int

	AuthTimeout  time.Duration // a connection must authenticate within it; default 5s
	IdleTimeout  time.Duration // a connection with no run and no message for this long is closed; default 5m
	WriteTimeout time.Duration // a client that does not read for this long is cut off; default 30s

	// Log receives one line per connection event worth an operator's eye; nil discards.
	Log *slog.Logger

	// OutputBudget bounds the total output of every run (Request.OutputBudget): a request that
	// asks for none, or for more, gets this one. It bounds a run's Result, which the server
	// holds whole while it answers (about budget + its JSON, up to 6× for control bytes).
	// Default DefaultServerOutputBudget; negative: the client's own (none if it asks none).
	OutputBudget int64
}

// DefaultServerOutputBudget is ServerOptions.OutputBudget's default: twice `serve`'s default
// budget and the largest single stream a request may ask for, so neither is cut.
const DefaultServerOutputBudget = 64 << 20

func (o *ServerOptions) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 128 << 20
	}
	if o.OutputBudget == 0 {
		o.OutputBudget = DefaultServerOutputBudget
	}
	def(&o.MaxRunsPerConn, 64)
	def(&o.MaxRuns, 512)
	def(&o.MaxConns, 256)
	def(&o.MaxUnauthPerIP, 8)
	defDur(&o.AuthTimeout, 5*time.Second)
	defDur(&o.IdleTimeout, 5*time.Minute)
	defDur(&o.WriteTimeout, 30*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("remote: server closed")

// Server serves one executor.Executor to TCP clients. Every run goes to that executor; the
// server adds authentication, limits per connection, back-pressure and fault isolation.
type Server struct {
	exec      executor.Executor
	opts      ServerOptions
	tokenHash [sha256.Size]byte

	// runCtx is the parent of every run; cancelRuns ends them all (forced shutdown).
	runCtx     context.Context
	cancelRuns context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	runs      int            // runs in flight on the whole server
	unauth    map[string]int // connections not yet authenticated, by client IP
	logins    *loginThrottle
	idle      chan struct{} // closed and replaced when runs drops to 0 during shutdown
	closing   bool
}

// NewServer returns a Server that runs every request on exec.
func NewServer(exec executor.Executor, opts ServerOptions) *Server {
	opts.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		exec:       exec,
		opts:       opts,
		runCtx:     ctx,
		cancelRuns: cancel,
		listeners:  map[net.Listener]struct{}{},
		conns:      map[*serverConn]struct{}{},
		idle:       make(chan struct{}),
		unauth:     map[string]int{},
		logins:     newLoginThrottle(),
	}
	if opts.Token != "" {
		s.tokenHash = sha256.Sum256([]byte(opts.Token))
	}
	return s
}

// Serve accepts connections on ln until Shutdown or Close, and then returns ErrServerClosed.
// Whether a server without a token may listen where ln does is the caller's decision (see
// spec.CheckListen).
func (s *Server) Serve(ln net.Listener) error {
	if s.opts.Token != "" {
		if err := CheckToken(s.opts.Token); err != nil {
			ln.Close()
			return fmt.Errorf("remote: %w", err)
		}
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.opts.Log.Warn("accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("remote: accept: %w", err)
		}
		backoff = 0
		s.accept(nc)
	}
}

// accept starts serving one connection, or closes it when the server is full or closing.
func (s *Server) accept(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetKeepAliveConfig(keepAlive)
	}
	s.mu.Lock()
	if s.closing || len(s.conns) >= s.opts.MaxConns {
		full := !s.closing
		s.mu.Unlock()
		if full {
			s.opts.Log.Warn("connection refused: too many connections", "remote", nc.RemoteAddr(), "max", s.opts.MaxConns)
			if s.opts.TLS == nil { // over TLS the answer would need a handshake first
				fs := newFrameStream(nc, frameOptions{writeTimeout: time.Second, answerErrors: true})
				fs.answer(CodeBusy, fmt.Sprintf("the executor has %d connections, the most it takes; try again shortly", s.opts.MaxConns))
			}
		}
		nc.Close()
		return
	}
	ip := hostOf(nc.RemoteAddr())
	if s.opts.Token != "" {
		if s.unauth[ip] >= s.opts.MaxUnauthPerIP {
			s.mu.Unlock()
			s.opts.Log.Warn("connection refused: too many unauthenticated connections from one address", "remote", nc.RemoteAddr(), "max", s.opts.MaxUnauthPerIP)
			nc.Close()
			return
		}
		s.unauth[ip]++
	}
	c := newServerConn(s, nc)
	c.ip = ip
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	go c.serve()
}

// authDone counts c out of its address's unauthenticated connections, once: when it
// authenticates or ends.
func (s *Server) authDone(c *serverConn) {
	if s.opts.Token == "" || !c.unauthCounted.CompareAndSwap(false, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unauth[c.ip]--; s.unauth[c.ip] <= 0 {
		delete(s.unauth, c.ip)
	}
}

// hostOf is the IP of a connection's address, without the port.
func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) removeConn(c *serverConn) {
	s.authDone(c)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// acquireRun counts a new run in, or says why it may not start.
func (s *Server) acquireRun() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return &kindError{msg: "the executor is shutting down; try again shortly or use another executor", kind: executor.ErrBusy}
	case s.runs >= s.opts.MaxRuns:
		return executor.ErrBusy
	}
	s.runs++
	return nil
}

func (s *Server) releaseRun() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs--
	if s.runs == 0 && s.closing {
		close(s.idle)
		s.idle = make(chan struct{})
	}
}

// Shutdown stops accepting connections and new runs, lets the runs in flight finish until ctx
// ends, then cancels the rest, and closes every connection. It returns ctx.Err() when runs had
// to be canceled. Wire it to SIGTERM with a grace period in ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	idle := s.idle
	running := s.runs
	s.mu.Unlock()

	var err error
	if running > 0 {
		select {
		case <-idle:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	s.Close()
	return err
}

// Close cancels every run at once and closes every listener and connection. It waits for the
// connections' goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closing = true
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	s.cancelRuns()
	for _, c := range conns {
		c.close()
	}
	for _, c := range conns {
		<-c.done
	}
	return nil
}
