package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// newFake is the shared scriptable fake (executortest.Fake, see its script commands) with its
// default languages (python and c installed, cobol not), fixed costs, 2 slots and a queue
// of 8. run, when set,
// replaces the script.
func newFake(run func(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error)) *executortest.Fake {
	f := executortest.NewFake()
	f.CPUTimeMs, f.WallTimeMs, f.MemoryKiB = 12, 15, 2048
	f.Slots, f.Queue = 2, 8
	f.RunFunc = run
	return f
}

// lastRequest returns the last request f got.
func lastRequest(t *testing.T, f *executortest.Fake) executor.Request {
	t.Helper()
	reqs := f.Requests()
	if len(reqs) == 0 {
		t.Fatal("the executor was not called")
	}
	return reqs[len(reqs)-1]
}

// newTestServer returns a Server around exec (a fresh newFake(nil) when nil) with quiet logs.
func newTestServer(t *testing.T, exec executor.Executor, opts Options) *Server {
	t.Helper()
	if exec == nil {
		exec = newFake(nil)
	}
	opts.Executor = exec
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.Rate.N == 0 {
		opts.Rate.N = -1
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends one request to h and returns the answer.
func do(t *testing.T, h http.Handler, method, target, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Host = "localhost"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// errBoom is a machinery failure.
var errBoom = errors.New("remote executor: connection refused")

// newChunkedRequest is a POST whose body length is not announced.
func newChunkedRequest(target, body string) *http.Request {
	req := httptest.NewRequest("POST", target, io.MultiReader(strings.NewReader(body)))
	req.Host = "localhost"
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	return req
}

// serve answers req with h.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// quietLogger drops every log line.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
