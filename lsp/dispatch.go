package lsp

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/internal/jsonerr"
)

// Why not protocol.NewServer / protocol.Handlers: in v0.12.0 its chain answers requests one after
// another (jsonrpc2.AsyncHandler waits for the previous request), its CancelHandler ignores
// numeric ids (JSON numbers decode as float64) and replies with a cancelled context (so the
// answer is never written), its logger and client share one context key, an unknown method
// panics in Server.Request, and a handler's Go error closes the connection. This file is the
// chain that avoids each: notifications run in order on the read loop and never block; each
// request gets its own context (cancelled by $/cancelRequest with a number or string id) and, if
// it blocks, its own goroutine; answers are written with a context that is never cancelled;
// panics become InternalError answers; and the handler never returns an error to jsonrpc2.

// LSP error codes beyond JSON-RPC's.
const (
	codeRequestCancelled jsonrpc2.Code = -32800
	codeRequestFailed    jsonrpc2.Code = -32803
)

// A call is one request being answered. Handlers call answer, or async, exactly once.
type call struct {
	s      *Server
	ctx    context.Context // cancelled by $/cancelRequest and when the session ends
	method string
	params stdjson.RawMessage
	reply  jsonrpc2.Replier
	done   func()

	once    sync.Once
	claimed atomic.Bool // answer or async was called
}

// answer sends the result, or err as a JSON-RPC error.
func (c *call) answer(result any, err error) {
	c.claimed.Store(true)
	c.once.Do(func() {
		defer c.done()
		if err != nil {
			err = c.s.wireError(c.ctx, err)
			result = nil
		}
		// The reply context is the session's, never the request's: a cancelled request's
		// answer must still be written.
		if werr := c.reply(c.s.bg, result, err); werr != nil {
			c.s.logf("answer %s: %v", c.method, werr)
		}
	})
}

// async runs f on its own goroutine and answers with what it returns.
func (c *call) async(f func() (any, error)) {
	c.claimed.Store(true)
	go func() {
		defer c.s.recoverTo(c)
		c.answer(f())
	}()
}

// requestHandlers answer requests; notificationHandlers handle notifications (on the read loop,
// in order; they must not block).
var (
	requestHandlers      map[string]func(*call)
	notificationHandlers map[string]func(*Server, stdjson.RawMessage) error
)

func init() {
	requestHandlers = map[string]func(*call){
		protocol.MethodInitialize:              (*call).initialize,
		protocol.MethodShutdown:                (*call).shutdown,
		protocol.MethodWorkspaceExecuteCommand: (*call).executeCommand,
	}
	notificationHandlers = map[string]func(*Server, stdjson.RawMessage) error{
		protocol.MethodInitialized:                     (*Server).initialized,
		protocol.MethodExit:                            (*Server).exit,
		protocol.MethodCancelRequest:                   (*Server).cancelRequest,
		protocol.MethodWorkDoneProgressCancel:          (*Server).progressCancel,
		protocol.MethodTextDocumentDidOpen:             (*Server).didOpen,
		protocol.MethodTextDocumentDidChange:           (*Server).didChange,
		protocol.MethodTextDocumentDidClose:            (*Server).didClose,
		protocol.MethodTextDocumentDidSave:             (*Server).didSave,
		protocol.MethodWorkspaceDidChangeConfiguration: (*Server).didChangeConfiguration,
	}
}

// handle is the jsonrpc2.Handler. It never returns an error: jsonrpc2 would close the connection.
func (s *Server) handle(_ context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	rpcCall, isCall := req.(*jsonrpc2.Call)
	if s.opts.Trace {
		if isCall {
			s.logf("<- %s (%v)", req.Method(), rpcCall.ID())
		} else {
			s.logf("<- %s", req.Method())
		}
	}
	if !isCall {
		s.handleNotification(req.Method(), req.Params())
		return nil
	}
	key := idKey(rpcCall.ID())
	ctx, done := s.calls.add(s.bg, key)
	c := &call{s: s, ctx: ctx, method: req.Method(), params: req.Params(), reply: reply, done: done}
	defer s.recoverTo(c)

	h, ok := requestHandlers[c.method]
	switch state := s.state.Load(); {
	case !ok:
		c.answer(nil, jsonrpc2.Errorf(jsonrpc2.MethodNotFound,
			"unknown method %q: sandrun lsp answers initialize, shutdown and workspace/executeCommand (%s)",
			c.method, commandList()))
	case state == stateNew && c.method != protocol.MethodInitialize:
		c.answer(nil, jsonrpc2.Errorf(jsonrpc2.ServerNotInitialized,
			"%s before initialize: send initialize first", c.method))
	case state == stateShutdown:
		c.answer(nil, jsonrpc2.Errorf(jsonrpc2.InvalidRequest,
			"%s after shutdown: the server is shutting down and only accepts exit", c.method))
	default:
		h(c)
		if !c.claimed.Load() {
			panic(fmt.Sprintf("%s returned without answering", c.method))
		}
	}
	return nil
}

// handleNotification runs a notification handler, logging (never answering) what goes wrong.
func (s *Server) handleNotification(method string, params stdjson.RawMessage) {
	defer func() {
		if p := recover(); p != nil {
			s.logf("panic in %s: %v\n%s", method, p, debug.Stack())
		}
	}()
	h, ok := notificationHandlers[method]
	if !ok {
		return // unknown notifications ("$/setTrace", …) are ignored, as LSP allows
	}
	if s.state.Load() == stateNew && method != protocol.MethodExit {
		return // LSP: notifications before initialize are dropped
	}
	if err := h(s, params); err != nil {
		s.logf("%s: %v", method, err)
	}
}

// recoverTo turns a panic while answering c into an InternalError answer.
func (s *Server) recoverTo(c *call) {
	if p := recover(); p != nil {
		s.logf("panic in %s: %v\n%s", c.method, p, debug.Stack())
		c.answer(nil, jsonrpc2.Errorf(jsonrpc2.InternalError, "sandrun lsp failed while answering %s: %v (a bug; the log on stderr has the details)", c.method, p))
	}
}

// wireError turns err into a JSON-RPC error with a code the client can branch on.
func (s *Server) wireError(ctx context.Context, err error) error {
	var w *jsonrpc2.Error
	var re *executor.RequestError
	var ce *cancelError
	switch {
	case errors.As(err, &w):
		return w
	case errors.As(err, &re):
		return jsonrpc2.NewError(jsonrpc2.InvalidParams, re.Error())
	case errors.As(err, &ce):
		return jsonrpc2.NewError(codeRequestCancelled, ce.why)
	case errors.Is(err, context.Canceled):
		if errors.As(context.Cause(ctx), &ce) {
			return jsonrpc2.NewError(codeRequestCancelled, ce.why)
		}
		return jsonrpc2.NewError(codeRequestCancelled, "request cancelled")
	default:
		return jsonrpc2.NewError(codeRequestFailed, err.Error())
	}
}

// cancelError says why a request or run was cancelled.
type cancelError struct{ why string }

func (e *cancelError) Error() string { return e.why }

// Causes of cancellation.
var (
	errClientCancelled = &cancelError{"cancelled by the client ($/cancelRequest)"}
	errSuperseded      = &cancelError{"stopped: a newer run of the same document started"}
	errStopped         = &cancelError{"stopped by sandrun.stop"}
	errSessionEnded    = &cancelError{"stopped: the LSP session ended"}
	errProgressCancel  = &cancelError{"cancelled by the user (window/workDoneProgress/cancel)"}
)

// invalidParams returns an InvalidParams error.
func invalidParams(format string, args ...any) error {
	return jsonrpc2.Errorf(jsonrpc2.InvalidParams, format, args...)
}

// calls tracks requests in flight so that $/cancelRequest can cancel them.
type calls struct {
	mu     sync.Mutex
	cancel map[string]context.CancelCauseFunc
}

func newCalls() *calls { return &calls{cancel: map[string]context.CancelCauseFunc{}} }

// add registers a request; done unregisters it and releases its context.
func (cs *calls) add(parent context.Context, key string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	cs.mu.Lock()
	cs.cancel[key] = cancel
	cs.mu.Unlock()
	return ctx, func() {
		cs.mu.Lock()
		delete(cs.cancel, key)
		cs.mu.Unlock()
		cancel(nil)
	}
}

func (cs *calls) cancelID(key string) bool {
	cs.mu.Lock()
	cancel, ok := cs.cancel[key]
	cs.mu.Unlock()
	if ok {
		cancel(errClientCancelled)
	}
	return ok
}

func (cs *calls) cancelAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for _, cancel := range cs.cancel {
		cancel(errSessionEnded)
	}
}

// idKey is a request id's map key: "#7" for numbers, "\"abc\"" for strings.
func idKey(id jsonrpc2.ID) string { return fmt.Sprintf("%q", id) }

// rawIDKey is idKey for an id as it appears in JSON (a number or a string); ok is false otherwise.
func rawIDKey(raw stdjson.RawMessage) (string, bool) {
	dec := stdjson.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	switch v := v.(type) {
	case stdjson.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || f != float64(int32(f)) {
			return "", false
		}
		return idKey(jsonrpc2.NewNumberID(int32(f))), true
	case string:
		return idKey(jsonrpc2.NewStringID(v)), true
	}
	return "", false
}

// cancelRequest handles $/cancelRequest {id}: the request's context is cancelled; its handler
// answers (with RequestCancelled when it had not finished).
func (s *Server) cancelRequest(params stdjson.RawMessage) error {
	var p struct {
		ID stdjson.RawMessage `json:"id"`
	}
	if err := stdjson.Unmarshal(params, &p); err != nil {
		return fmt.Errorf("bad params %s: %s", clip(string(params)), jsonerr.Explain("the params", err).Msg)
	}
	key, ok := rawIDKey(p.ID)
	if !ok {
		return fmt.Errorf("id %s is neither a number nor a string", clip(string(p.ID)))
	}
	s.calls.cancelID(key) // an id that already finished is not an error
	return nil
}
