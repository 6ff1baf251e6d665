package remote

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
)

// session is one authenticated connection of a Client and the runs in flight on it.
type session struct {
	addr string
	opts Options
	nc   net.Conn
	rpc  jsonrpc2.Conn

	dead    chan struct{} // closed by fail
	failErr error         // why; set before dead is closed
	once    sync.Once

	nextID atomic.Uint64
	runsMu sync.Mutex
	runs   map[string]*events
}

// dialSession connects, shakes hands (TLS) and authenticates within opts.DialTimeout.
func dialSession(ctx context.Context, addr string, opts Options) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	d := net.Dialer{KeepAliveConfig: keepAlive}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("remote: connect to executor %s: %w", addr, err)
	}
	if opts.TLS != nil {
		tc := tls.Client(nc, opts.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("remote: TLS handshake with executor %s: %w", addr, err)
		}
		nc = tc
	}
	s := &session{addr: addr, opts: opts, nc: nc, dead: make(chan struct{}), runs: map[string]*events{}}
	s.rpc = jsonrpc2.NewConn(newFrameStream(nc, frameOptions{maxMessage: opts.MaxMessageBytes, writeTimeout: opts.HeartbeatTimeout}))
	s.rpc.Go(context.Background(), s.handle)
	go func() {
		<-s.rpc.Done()
		err := s.rpc.Err()
		if err == nil || isClosedConn(err) {
			err = errors.New("the executor closed the connection")
		}
		s.fail(err)
	}()

	var ar AuthResult
	if err := s.call(ctx, MethodAuthenticate, AuthParams{Token: opts.Token}, &ar); err != nil {
		s.fail(errors.New("authentication failed"))
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			err = fmt.Errorf("no answer within %s; is %s a sandrun executor?", opts.DialTimeout, addr)
		case errors.Is(err, ErrDisconnected) && opts.TLS == nil:
			err = fmt.Errorf("%w (if the executor was started with --tls-cert, pass --tls-ca)", err)
		}
		return nil, fmt.Errorf("remote: authenticate with executor %s: %w", addr, err)
	}
	if ar.Protocol != ProtocolVersion {
		s.fail(errors.New("protocol mismatch"))
		return nil, fmt.Errorf("remote: executor %s speaks protocol %d (sandrun %s), this client speaks %d; use the same sandrun version on both sides", addr, ar.Protocol, ar.Version, ProtocolVersion)
	}
	go s.heartbeat()
	return s, nil
}

func (s *session) alive() bool {
	select {
	case <-s.dead:
		return false
	default:
		return true
	}
}

// fail ends the session with err, once: the connection is closed and every call fails.
func (s *session) fail(err error) {
	s.once.Do(func() {
		s.failErr = fmt.Errorf("%w: %v", ErrDisconnected, err)
		close(s.dead)
		s.nc.Close()
	})
}

// heartbeat asks for health while runs are in flight, so a silent executor is noticed.
func (s *session) heartbeat() {
	tick := time.NewTicker(s.opts.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-s.dead:
			return
		case <-tick.C:
		}
		if s.inFlight() == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.HeartbeatTimeout)
		err := s.call(ctx, MethodHealth, nil, nil)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			s.fail(fmt.Errorf("the executor did not answer a heartbeat within %s", s.opts.HeartbeatTimeout))
			return
		}
	}
}

func (s *session) inFlight() int {
	s.runsMu.Lock()
	defer s.runsMu.Unlock()
	return len(s.runs)
}

// handle receives the executor's notifications: output events of runs in flight.
func (s *session) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	// Errors are never returned: jsonrpc2 v0.10 panics when a handler error and a read error of
	// another type both end one connection.
	if req.Method() != MethodOutput {
		_ = reply(ctx, nil, jsonrpc2.NewError(jsonrpc2.MethodNotFound, fmt.Sprintf("client: unknown method %q", req.Method())))
		return nil
	}
	var p OutputParams
	if err := json.Unmarshal(req.Params(), &p); err != nil {
		return nil // an event we cannot read is dropped; its run's Result still comes
	}
	s.runsMu.Lock()
	ev := s.runs[p.RunID]
	s.runsMu.Unlock()
	if ev != nil {
		ev.push(p.Event)
	}
	return nil
}

// call makes a call that fails as soon as the session dies, with the error mapped from the wire.
func (s *session) call(ctx context.Context, method string, params, result any) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.dead:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, err := s.rpc.Call(ctx, method, params, result)
	var we *jsonrpc2.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we):
		return fromWire(err)
	case !s.alive():
		return s.failErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	// A failed write closes the connection; the session learns it a moment later.
	select {
	case <-s.dead:
		return s.failErr
	case <-time.After(time.Second):
		return err
	}
}

// run runs req remotely under a fresh run id. When ctx ends first it sends cancel and waits
// (up to opts.CancelWait) for the executor to confirm the run ended, then returns ctx.Err().
func (s *session) run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	id := "r" + strconv.FormatUint(s.nextID.Add(1), 10)
	ev := newEvents(onEvent)
	s.runsMu.Lock()
	s.runs[id] = ev
	s.runsMu.Unlock()
	defer func() {
		s.runsMu.Lock()
		delete(s.runs, id)
		s.runsMu.Unlock()
	}()

	type answer struct {
		res executor.Result
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		var a answer
		a.err = s.call(context.Background(), MethodRun, RunParams{RunID: id, Request: req}, &a.res)
		answered <- a
	}()

	select {
	case a := <-answered:
		ev.finish()
		return a.res, a.err
	case <-ctx.Done():
	}
	cctx, cancel := context.WithTimeout(context.Background(), s.opts.CancelWait)
	defer cancel()
	_ = s.rpc.Notify(cctx, MethodCancel, CancelParams{RunID: id})
	select {
	case <-answered:
	case <-cctx.Done():
	case <-s.dead:
	}
	ev.finish()
	return executor.Result{}, ctx.Err()
}
