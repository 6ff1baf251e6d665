package remote

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// session is one authenticated connection of a Client and the calls and runs in flight on it.
//
// It matches answers to calls itself rather than through jsonrpc2.Conn: when the executor
// answers and then closes the connection (a refused token, a graceful shutdown), the answer
// must win over the close, and jsonrpc2.Conn.Call picks between them at random.
type session struct {
	addr   string
	opts   Options
	nc     net.Conn
	stream *frameStream

	dead    chan struct{} // closed by fail, after every answer read has been delivered
	failErr error         // why; set before dead is closed
	once    sync.Once

	maxSend     int64 // the server's MaxMessage; 0 when it did not say
	interactive bool  // the server takes interactive runs (AuthResult.Interactive)

	seq       atomic.Int32
	pendingMu sync.Mutex
	pending   map[jsonrpc2.ID]chan *jsonrpc2.Response

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
	s := &session{
		addr: addr, opts: opts, nc: nc,
		stream:  newFrameStream(nc, frameOptions{maxMessage: opts.MaxMessageBytes, writeTimeout: opts.HeartbeatTimeout}),
		dead:    make(chan struct{}),
		pending: map[jsonrpc2.ID]chan *jsonrpc2.Response{},
		runs:    map[string]*events{},
	}
	go s.read()

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
	s.maxSend, s.interactive = ar.MaxMessage, ar.Interactive
	if ar.Protocol != ProtocolVersion {
		s.fail(errors.New("protocol mismatch"))
		return nil, fmt.Errorf("remote: executor %s speaks protocol %d (sandrun %s), this client speaks %d; use the same sandrun version on both sides", addr, ar.Protocol, ar.Version, ProtocolVersion)
	}
	go s.heartbeat()
	return s, nil
}

// read is the connection's read loop: answers go to their calls, output events to their runs.
// When the connection ends it fails the session, after every answer read was delivered.
func (s *session) read() {
	for {
		msg, _, err := s.stream.Read(context.Background())
		if err != nil {
			var orphan *errOrphan
			if !errors.As(err, &orphan) && (isClosedConn(err) || !s.alive()) {
				err = errors.New("the executor closed the connection")
			}
			s.fail(err)
			return
		}
		switch m := msg.(type) {
		case *jsonrpc2.Response:
			s.pendingMu.Lock()
			ch := s.pending[m.ID()]
			s.pendingMu.Unlock()
			if ch != nil {
				select {
				case ch <- m:
				default: // a second answer to one call is dropped
				}
			}
		case *jsonrpc2.Notification:
			s.output(m)
		case *jsonrpc2.Call:
			resp, _ := jsonrpc2.NewResponse(m.ID(), nil, jsonrpc2.NewError(jsonrpc2.MethodNotFound,
				fmt.Sprintf("the client answers no calls (%q)", m.Method())))
			_, _ = s.stream.Write(context.Background(), resp)
		}
	}
}

// output hands an output event to its run.
func (s *session) output(n *jsonrpc2.Notification) {
	if n.Method() != MethodOutput {
		return
	}
	var p OutputParams
	if err := json.Unmarshal(n.Params(), &p); err != nil {
		return // an event we cannot read is dropped; its run's Result still comes
	}
	s.runsMu.Lock()
	ev := s.runs[p.RunID]
	s.runsMu.Unlock()
	if ev != nil {
		ev.push(p.Event)
	}
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

// call sends a call and waits for its answer, ctx, or the end of the session. Error answers
// become the Go errors the executor returned (fromWire).
func (s *session) call(ctx context.Context, method string, params, result any) error {
	return s.callSent(ctx, method, params, result, nil)
}

// callSent is call that closes sent (when not nil) once the call is written, so that what
// depends on the call's arriving first (a run's stdin) is sent after it.
func (s *session) callSent(ctx context.Context, method string, params, result any, sent chan<- struct{}) error {
	id := jsonrpc2.NewNumberID(s.seq.Add(1))
	msg, err := jsonrpc2.NewCall(id, method, params)
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	ch := make(chan *jsonrpc2.Response, 1)
	s.pendingMu.Lock()
	s.pending[id] = ch
	s.pendingMu.Unlock()
	defer func() {
		s.pendingMu.Lock()
		delete(s.pending, id)
		s.pendingMu.Unlock()
	}()
	if _, err := s.stream.Write(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		<-s.dead // a failed write closes the connection, which ends the read loop
		return s.failErr
	}
	if sent != nil {
		close(sent)
	}
	var resp *jsonrpc2.Response
	select {
	case resp = <-ch:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.dead:
		select { // answers read before the end were delivered before dead was closed
		case resp = <-ch:
		default:
			return s.failErr
		}
	}
	if err := resp.Err(); err != nil {
		return fromWire(err)
	}
	if result == nil || len(resp.Result()) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Result(), result); err != nil {
		return fmt.Errorf("decode the answer to %s: %w", method, err)
	}
	return nil
}

// notify sends a notification.
func (s *session) notify(ctx context.Context, method string, params any) error {
	msg, err := jsonrpc2.NewNotification(method, params)
	if err != nil {
		return err
	}
	_, err = s.stream.Write(ctx, msg)
	return err
}
