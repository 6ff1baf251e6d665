package remote

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/hooks"
	"github.com/sandrun/sandrun/internal/jsonerr"
)

// keepAlive probes an idle TCP peer so a half-open connection is noticed within ~30s.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// errConnClosed ends a connection from a handler (jsonrpc2.Conn closes it on a handler error).
var errConnClosed = errors.New("connection closed by the executor")

// serverConn is one client connection: its authentication state and its runs in flight.
type serverConn struct {
	srv    *Server
	raw    net.Conn // the TCP connection, closed to end everything
	nc     net.Conn // what the stream reads: raw, or TLS over it
	stream *frameStream
	rpc    jsonrpc2.Conn
	ctx    context.Context // ends when the connection ends; parent of its runs
	cancel context.CancelFunc
	done   chan struct{} // closed when serve returns

	ip            string // the client's address, without the port
	authed        atomic.Bool
	unauthCounted atomic.Bool  // authDone has run
	pending       atomic.Int32 // languages and health calls being answered
	lastActive    atomic.Int64 // unix nanoseconds of the last message read
	runWG         sync.WaitGroup

	runsMu sync.Mutex
	runs   map[string]*serverRun // by run id
	// early holds ids canceled before their run arrived (a client may send cancel right after
	// run, and its messages may reach us in either order); oldest first, at most maxEarly.
	early []string
}

// maxEarly bounds the ids remembered by serverConn.early; maxPendingCalls the languages and
// health calls one connection may have waiting.
const (
	maxEarly        = 256
	maxPendingCalls = 16
)

func newServerConn(s *Server, nc net.Conn) *serverConn {
	ctx, cancel := context.WithCancel(s.runCtx)
	c := &serverConn{srv: s, raw: nc, nc: nc, ctx: ctx, cancel: cancel, done: make(chan struct{}), runs: map[string]*serverRun{}}
	if s.opts.Token == "" {
		c.authed.Store(true)
	}
	c.touch()
	return c
}

func (c *serverConn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// serve runs the connection until it ends, then cancels its runs and waits for them.
func (c *serverConn) serve() {
	defer close(c.done)
	defer c.srv.removeConn(c)
	log := c.srv.opts.Log.With("remote", c.raw.RemoteAddr().String())

	if c.srv.opts.TLS != nil {
		tc := tls.Server(c.nc, c.srv.opts.TLS)
		ctx, cancel := context.WithTimeout(c.ctx, c.srv.opts.AuthTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			log.Info("TLS handshake failed", "err", err)
			c.nc.Close()
			return
		}
		c.nc = tc
	}
	c.stream = newFrameStream(c.nc, frameOptions{
		maxMessage:   c.srv.opts.MaxMessageBytes,
		writeTimeout: c.srv.opts.WriteTimeout,
		answerErrors: true,
		keepGoing:    c.authed.Load,
		preAuth:      func() bool { return !c.authed.Load() },
		onMessage:    c.touch,
	})
	c.rpc = jsonrpc2.NewConn(c.stream)
	c.rpc.Go(c.ctx, c.handle)
	go c.watch()
	<-c.rpc.Done()
	c.cancel()
	c.runWG.Wait()
	if err := c.rpc.Err(); err != nil && !isClosedConn(err) {
		log.Info("connection ended", "err", err)
	}
}

// close ends the connection; serve then cancels its runs.
func (c *serverConn) close() {
	c.cancel()
	c.raw.Close()
}

// watch closes the connection when it does not authenticate in time, or sits idle too long.
func (c *serverConn) watch() {
	tick := time.NewTicker(max(min(c.srv.opts.AuthTimeout, c.srv.opts.IdleTimeout)/4, 10*time.Millisecond))
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-tick.C:
			if !c.authed.Load() && now.Sub(start) > c.srv.opts.AuthTimeout {
				c.srv.opts.Log.Info("connection closed: no authentication in time", "remote", c.raw.RemoteAddr().String())
				c.close()
				return
			}
			idle := now.Sub(time.Unix(0, c.lastActive.Load()))
			if idle > c.srv.opts.IdleTimeout && c.inFlight() == 0 {
				c.close()
				return
			}
		}
	}
}

func (c *serverConn) inFlight() int {
	c.runsMu.Lock()
	defer c.runsMu.Unlock()
	return len(c.runs)
}

// handle is the connection's jsonrpc2.Handler. It runs on the read loop, so anything that can
// block goes to a goroutine. It closes the connection itself when dispatch fails: jsonrpc2 v0.10
// panics when a handler error and a read error of another type both end one connection.
func (c *serverConn) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	if err := c.dispatch(ctx, reply, req); err != nil {
		c.close()
	}
	return nil
}

// dispatch answers one message; an error means the connection must end.
func (c *serverConn) dispatch(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	if req.Method() == MethodAuthenticate {
		return c.authenticate(ctx, reply, req)
	}
	if !c.authed.Load() {
		msg := fmt.Sprintf("call %q first with the executor's token; %q before it closes the connection", MethodAuthenticate, req.Method())
		if _, isCall := req.(*jsonrpc2.Call); isCall {
			_ = reply(ctx, nil, jsonrpc2.NewError(CodeUnauthorized, msg))
		} else {
			c.stream.answer(CodeUnauthorized, msg) // a notification has no id to answer to
		}
		return errConnClosed
	}
	switch req.Method() {
	case MethodRun:
		return c.startRun(ctx, reply, req)
	case MethodCancel:
		var p CancelParams
		if err := json.Unmarshal(req.Params(), &p); err != nil {
			return reply(ctx, nil, badParams(req, err))
		}
		return reply(ctx, CancelResult{Canceled: c.cancelRun(p.RunID)}, nil)
	case MethodStdin:
		return c.stdin(ctx, reply, req)
	case MethodLanguages:
		return c.goAnswer(ctx, reply, func(ctx context.Context) (any, error) { return c.srv.exec.Languages(ctx) })
	case MethodHealth:
		return c.goAnswer(ctx, reply, func(ctx context.Context) (any, error) { return c.srv.exec.Capacity(ctx) })
	default:
		return reply(ctx, nil, jsonrpc2.NewError(jsonrpc2.MethodNotFound, fmt.Sprintf(
			"unknown method %q; the executor knows %s, %s, %s, %s, %s and %s",
			req.Method(), MethodAuthenticate, MethodRun, MethodStdin, MethodCancel, MethodLanguages, MethodHealth)))
	}
}

// authenticate checks the token in constant time. A wrong token closes the connection.
func (c *serverConn) authenticate(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	var p AuthParams
	if err := json.Unmarshal(req.Params(), &p); err != nil {
		_ = reply(ctx, nil, jsonrpc2.NewError(CodeUnauthorized, fmt.Sprintf("%s; want {\"token\": \"...\"}", jsonerr.Explain(MethodAuthenticate+" params", err).Msg)))
		return errConnClosed
	}
	if c.srv.opts.Token != "" {
		// An address that failed before waits longer with each failure before its next try is
		// even looked at. This runs on the connection's own read loop, so only it waits.
		if d := c.srv.logins.delay(c.ip); d > 0 {
			select {
			case <-time.After(d):
			case <-c.ctx.Done():
				return errConnClosed
			}
		}
		got := sha256.Sum256([]byte(p.Token))
		if subtle.ConstantTimeCompare(got[:], c.srv.tokenHash[:]) != 1 {
			msg := "wrong token"
			if p.Token == "" {
				msg = "this executor needs a token; pass --token-file with the file the executor was started with"
			}
			n := c.srv.logins.fail(c.ip)
			c.srv.opts.Log.Warn("authentication failed", "remote", c.raw.RemoteAddr().String(), "failures", n)
			_ = reply(ctx, nil, jsonrpc2.NewError(CodeUnauthorized, msg))
			return errConnClosed
		}
		c.srv.logins.succeed(c.ip)
	}
	c.authed.Store(true)
	c.srv.authDone(c)
	return reply(ctx, AuthResult{Protocol: ProtocolVersion, Version: executor.Version, MaxMessage: c.srv.opts.MaxMessageBytes, Interactive: true}, nil)
}

// goAnswer answers a call from a goroutine, so a slow executor never blocks the read loop. At
// most maxPendingCalls such calls may wait at once per connection.
func (c *serverConn) goAnswer(ctx context.Context, reply jsonrpc2.Replier, f func(context.Context) (any, error)) error {
	if c.pending.Add(1) > maxPendingCalls {
		c.pending.Add(-1)
		return reply(ctx, nil, jsonrpc2.NewError(CodeBusy, fmt.Sprintf("this connection already waits for %d answers; wait for them", maxPendingCalls)))
	}
	c.runWG.Add(1)
	go func() {
		defer c.runWG.Done()
		defer c.pending.Add(-1)
		res, err := f(c.ctx)
		if err != nil {
			_ = reply(context.Background(), nil, toWire(err))
			return
		}
		_ = reply(context.Background(), res, nil)
	}()
	return nil
}

func badParams(req jsonrpc2.Request, err error) error {
	e := jsonerr.Explain(req.Method()+" params", err)
	if e.Field != "" {
		e.Msg = req.Method() + " params: " + e.Msg
	}
	return jsonrpc2.NewError(jsonrpc2.InvalidParams, e.Msg)
}

// startRun checks the run's params and limits, then runs it in its own goroutine, streaming
// its events as output notifications and answering with its Result.
func (c *serverConn) startRun(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	if _, isCall := req.(*jsonrpc2.Call); !isCall {
		return nil // a run nobody waits for is dropped
	}
	var p RunParams
	if err := json.Unmarshal(req.Params(), &p); err != nil {
		return reply(ctx, nil, badParams(req, err))
	}
	if p.RunID == "" || len(p.RunID) > maxRunIDLen {
		return reply(ctx, nil, toWire(executor.Invalid("run_id", "run_id must be 1 to %d characters, unique among the connection's runs in flight", maxRunIDLen)))
	}
	if b := c.srv.opts.OutputBudget; b > 0 && (p.Request.OutputBudget == 0 || p.Request.OutputBudget > b) {
		p.Request.OutputBudget = b
	}
	runCtx, cancel := context.WithCancel(c.ctx)
	run := &serverRun{cancel: cancel}
	if p.Interactive {
		run.stdin = newStdinPipe()
		p.Request.StdinStream = run.stdin.pr
	}
	if err := c.addRun(p.RunID, run); err != nil {
		cancel()
		return reply(ctx, nil, toWire(err))
	}
	if err := c.srv.acquireRun(); err != nil {
		c.removeRun(p.RunID)
		cancel()
		return reply(ctx, nil, toWire(err))
	}
	c.runWG.Add(1)
	go func() {
		defer c.runWG.Done()
		defer c.srv.releaseRun()
		defer c.removeRun(p.RunID)
		defer cancel()
		if run.stdin != nil {
			defer run.stdin.close()
		}
		// Hooks around the server's executor (docs/hooks.md) see the client's address.
		// Output is batched (executor.EventBatcher): a byte-at-a-time writer is a few messages.
		out := executor.NewEventBatcher(0, func(ev executor.Event) {
			// A failed write closes the connection, which cancels runCtx.
			_ = c.rpc.Notify(context.Background(), MethodOutput, OutputParams{RunID: p.RunID, Event: ev})
		})
		res, err := c.srv.exec.Run(hooks.WithClient(runCtx, hostOf(c.raw.RemoteAddr())), p.Request, out.Add)
		out.Close()
		if err != nil {
			_ = reply(context.Background(), nil, toWire(err))
			return
		}
		_ = reply(context.Background(), res, nil)
	}()
	return nil
}

// addRun registers a run id, or says why it may not start on this connection.
func (c *serverConn) addRun(id string, run *serverRun) error {
	c.runsMu.Lock()
	defer c.runsMu.Unlock()
	if _, dup := c.runs[id]; dup {
		return executor.Invalid("run_id", "run %q is already in flight on this connection; pick a new id", id)
	}
	if i := slices.Index(c.early, id); i >= 0 {
		c.early = slices.Delete(c.early, i, i+1)
		return context.Canceled
	}
	if len(c.runs) >= c.srv.opts.MaxRunsPerConn {
		return &kindError{msg: fmt.Sprintf("this connection already has %d runs in flight, the most it may have; wait for one to end", len(c.runs)), kind: executor.ErrBusy}
	}
	c.runs[id] = run
	return nil
}

func (c *serverConn) removeRun(id string) {
	c.runsMu.Lock()
	defer c.runsMu.Unlock()
	delete(c.runs, id)
}

// cancelRun cancels the run id and reports whether it was in flight. An id not in flight is
// remembered, so that its run, if it comes later, ends canceled at once.
func (c *serverConn) cancelRun(id string) bool {
	c.runsMu.Lock()
	run, ok := c.runs[id]
	if !ok && id != "" && len(id) <= maxRunIDLen {
		if len(c.early) == maxEarly {
			c.early = c.early[1:]
		}
		c.early = append(c.early, id)
	}
	c.runsMu.Unlock()
	if ok {
		run.cancel()
	}
	return ok
}

// isClosedConn reports whether err is the ordinary end of a connection.
func isClosedConn(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, errConnClosed) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF)
}
