package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// fakeExec is an executor.Executor whose "programs" are tiny scripts, one command a line, so
// that tests read as what they check:
//
//	out TEXT       stdout event TEXT+"\n"          err TEXT   the same on stderr
//	raw TEXT       stdout event TEXT (Go-unquoted, no newline)
//	stdin          copy stdin to stdout            args       print the args, one a line
//	exit N         end with exit code N            signal S   killed by signal S
//	timeout | oom | flood | flood-stderr | internal   end with that limit or failure
//	compile-error TEXT  (compiled languages) the compile stage prints TEXT to stderr and fails
//
// Languages: python (3.11.2, interpreted), c (12.2.0, compiled), cobol (not installed).
// Run may be replaced per test; every request run is recorded.
type fakeExec struct {
	run func(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error)

	capErr error

	reqsMu sync.Mutex
	reqs   []executor.Request
}

var fakeLanguages = []executor.LanguageInfo{
	{ID: "c", Name: "C", Version: "12.2.0", Aliases: []string{"gcc"}, Extensions: []string{".c"}, Compiled: true, Available: true},
	{ID: "cobol", Name: "COBOL", Aliases: []string{"cob"}, Extensions: []string{".cob"}, Available: false, Missing: "install it with: apt-get install gnucobol"},
	{ID: "python", Name: "Python", Version: "3.11.2", Aliases: []string{"py", "python3"}, Extensions: []string{".py"}, VSCodeID: "python", Available: true},
}

func (f *fakeExec) Languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	return fakeLanguages, nil
}

func (f *fakeExec) Capacity(ctx context.Context) (executor.Capacity, error) {
	if f.capErr != nil {
		return executor.Capacity{}, f.capErr
	}
	return executor.Capacity{Slots: 2, Running: 0, Queued: 0, QueueMax: 8, Version: "test"}, nil
}

func (f *fakeExec) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	f.reqsMu.Lock()
	f.reqs = append(f.reqs, req)
	f.reqsMu.Unlock()
	if onEvent == nil {
		onEvent = func(executor.Event) {}
	}
	if f.run != nil {
		return f.run(ctx, req, onEvent)
	}
	return fakeScript(req, onEvent)
}

// lastRequest returns the last request Run got.
func (f *fakeExec) lastRequest(t *testing.T) executor.Request {
	t.Helper()
	f.reqsMu.Lock()
	defer f.reqsMu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("the executor was not called")
	}
	return f.reqs[len(f.reqs)-1]
}

// fakeScript interprets the main file as a script (see fakeExec).
func fakeScript(req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	var info executor.LanguageInfo
	for _, l := range fakeLanguages {
		if l.ID == req.Language {
			info = l
		}
	}
	if !info.Available {
		return executor.Result{}, executor.Invalid("language", "unknown language %q", req.Language)
	}
	main := req.Main
	if main == "" && len(req.Files) > 0 {
		main = req.Files[0].Name
	}
	var src string
	for _, f := range req.Files {
		if f.Name == main {
			src = string(f.Content)
		}
	}
	res := executor.Result{Language: info.ID, Version: info.Version, Status: executor.StatusOK, CPUTimeMs: 12, WallTimeMs: 15, MemoryKiB: 2048}
	if info.Compiled {
		c := &executor.Result{Language: info.ID, Version: info.Version, Status: executor.StatusOK, CPUTimeMs: 100, WallTimeMs: 120, MemoryKiB: 30000}
		res.Compile = c
		if i := strings.Index(src, "compile-error "); i >= 0 {
			msg, _, _ := strings.Cut(src[i+len("compile-error "):], "\n")
			onEvent(executor.Event{Stage: executor.StageCompile, Stream: executor.Stderr, Data: []byte(msg + "\n")})
			c.Status, c.ExitCode, c.Stderr, c.Message = executor.StatusRuntimeError, 1, msg+"\n", "exited with code 1"
			res.Status, res.Message = executor.StatusCompileError, "compilation failed"
			res.CPUTimeMs, res.WallTimeMs, res.MemoryKiB = 0, 0, 0
			return res, nil
		}
	}
	var stdout, stderr strings.Builder
	emit := func(stream executor.Stream, s string) {
		onEvent(executor.Event{Stage: executor.StageRun, Stream: stream, Data: []byte(s)})
		if stream == executor.Stdout {
			stdout.WriteString(s)
		} else {
			stderr.WriteString(s)
		}
	}
	end := func(st executor.Status) {
		res.Status = st
	}
	for _, line := range strings.Split(src, "\n") {
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "out":
			emit(executor.Stdout, arg+"\n")
		case "err":
			emit(executor.Stderr, arg+"\n")
		case "raw":
			s, err := strconv.Unquote(arg)
			if err != nil {
				return res, fmt.Errorf("fake: raw %s: %w", arg, err)
			}
			emit(executor.Stdout, s)
		case "stdin":
			emit(executor.Stdout, string(req.Stdin))
		case "args":
			for _, a := range req.Args {
				emit(executor.Stdout, a+"\n")
			}
		case "exit":
			res.ExitCode, _ = strconv.Atoi(arg)
			if res.ExitCode != 0 {
				end(executor.StatusRuntimeError)
				res.Message = "exited with code " + arg
			}
		case "signal":
			end(executor.StatusSignaled)
			res.ExitCode, res.Signal, res.Message = -1, arg, "killed by "+arg
		case "timeout":
			end(executor.StatusTimeLimit)
			res.ExitCode, res.Signal, res.Message = -1, "SIGKILL", "CPU time limit of 2s exceeded"
		case "oom":
			end(executor.StatusMemoryLimit)
			res.ExitCode, res.Signal, res.Message = -1, "SIGKILL", "memory limit of 256 MiB exceeded"
		case "flood":
			end(executor.StatusOutputLimit)
			res.ExitCode, res.Signal, res.StdoutTruncated, res.Message = -1, "SIGKILL", true, "stdout passed 1 MiB"
		case "flood-stderr":
			end(executor.StatusOutputLimit)
			res.ExitCode, res.Signal, res.StderrTruncated, res.Message = -1, "SIGKILL", true, "stderr passed 1 MiB"
		case "internal":
			end(executor.StatusInternalError)
			res.ExitCode, res.Message = -1, "sandbox: could not start"
		}
	}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	return res, nil
}

// newTestServer returns a Server around exec (a fresh fakeExec when nil) with quiet logs.
func newTestServer(t *testing.T, exec executor.Executor, opts Options) *Server {
	t.Helper()
	if exec == nil {
		exec = &fakeExec{}
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
