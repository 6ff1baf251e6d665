package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

// dialStream opens /api/v1/run/stream on a test server.
func dialStream(t *testing.T, ctx context.Context, srv *httptest.Server, header http.Header) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/run/stream"
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// readUntilClosed reads every message until the server closes the socket.
func readUntilClosed(t *testing.T, ctx context.Context, conn *websocket.Conn) []streamOut {
	t.Helper()
	var msgs []streamOut
	for {
		var m streamOut
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Errorf("socket ended with %v, want a normal closure", err)
			}
			return msgs
		}
		msgs = append(msgs, m)
	}
}

// TestStreamLive: each output event reaches the client while the program still runs (the fake
// program waits for the test to have seen its first line before writing the second), then the
// Result comes, then a normal close.
func TestStreamLive(t *testing.T) {
	seen := make(chan struct{})
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		on(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte("first\n")})
		select {
		case <-seen:
		case <-ctx.Done():
			return executor.Result{}, ctx.Err()
		}
		on(executor.Event{Stage: executor.StageRun, Stream: executor.Stderr, Data: []byte("caf\xc3")})
		on(executor.Event{Stage: executor.StageRun, Stream: executor.Stderr, Data: []byte("\xa9\n")})
		return executor.Result{Language: "python", Version: "3.11.2", Status: executor.StatusOK, Stdout: "first\n", Stderr: "café\n"}, nil
	})
	srv := httptest.NewServer(newTestServer(t, exec, Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	conn := dialStream(t, ctx, srv, nil)
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "run", "language": "py", "source": "x", "stdin": "in"}); err != nil {
		t.Fatal(err)
	}
	var started, first streamOut
	wsjson.Read(ctx, conn, &started)
	wsjson.Read(ctx, conn, &first)
	want := []streamOut{{Type: "started", Language: "python", Version: "3.11.2"}, {Type: "output", Stage: "run", Stream: "stdout", Data: "first\n"}}
	if diff := cmp.Diff(want, []streamOut{started, first}); diff != "" {
		t.Fatalf("first messages, while the program runs (-want +got):\n%s", diff)
	}
	close(seen)
	rest := readUntilClosed(t, ctx, conn)
	// The two stderr events may arrive joined or apart (output is batched for a short while),
	// but a character is never split.
	if len(rest) == 3 && rest[0].Data == "caf" && rest[1].Data == "é\n" {
		rest = append([]streamOut{{Type: "output", Stage: "run", Stream: "stderr", Data: "café\n"}}, rest[2:]...)
	}
	want = []streamOut{
		{Type: "output", Stage: "run", Stream: "stderr", Data: "café\n"},
		{Type: "result", Result: &executor.Result{Language: "python", Version: "3.11.2", Status: "ok", Stdout: "first\n", Stderr: "café\n"}},
	}
	if diff := cmp.Diff(want, rest); diff != "" {
		t.Errorf("rest of the stream (-want +got):\n%s", diff)
	}
	if got := string(lastRequest(t, exec).Stdin); got != "in" {
		t.Errorf("stdin %q reached the executor, want %q", got, "in")
	}
}

func TestStreamErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first string
		field string
		msg   string
	}{
		{"malformed", `{"language":`, "", "not valid JSON"},
		{"unknown language", `{"language":"klingon","source":"x"}`, "language", `unknown language "klingon"`},
		{"unknown field", `{"language":"python","code":"x"}`, "code", "unknown field"},
		{"wrong type", `{"type":"stdin","data":"x"}`, "type", "first message must be the run request"},
		{"limits", `{"language":"python","source":"x","limits":{"cpu_time_ms":999999999}}`, "limits.cpu_time_ms", "out of range"},
		{"job not a boolean", `{"language":"python","source":"x","job":"yes"}`, "job", "must be true or false, not a string"},
		{"wrong type, named by its path", `{"language":"python","source":5}`, "source", "source: must be a string, not a number"},
		{"nested unknown field", `{"language":"python","source":"x","limits":{"cpu":1}}`, "limits.cpu", `unknown field "cpu"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(newTestServer(t, nil, Options{}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
			defer cancel()
			conn := dialStream(t, ctx, srv, nil)
			conn.Write(ctx, websocket.MessageText, []byte(tc.first))
			msgs := readUntilClosed(t, ctx, conn)
			if len(msgs) != 1 || msgs[0].Type != "error" || msgs[0].Code != 400 || msgs[0].Field != tc.field || !strings.Contains(msgs[0].Error, tc.msg) {
				t.Errorf("got %+v; want one error, code 400, field %q, containing %q", msgs, tc.field, tc.msg)
			}
		})
	}
}

// TestStreamStop: {"type":"stop"} kills the run (its context ends) and the client is told.
// A stdin message meanwhile is refused without ending the run.
func TestStreamStop(t *testing.T) {
	ended := make(chan error, 1)
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		on(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte("looping\n")})
		<-ctx.Done()
		ended <- ctx.Err()
		return executor.Result{}, ctx.Err()
	})
	srv := httptest.NewServer(newTestServer(t, exec, Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	conn := dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "while True: pass"})
	var m streamOut
	for m.Type != "output" {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatal(err)
		}
	}
	wsjson.Write(ctx, conn, map[string]string{"type": "stdin", "data": "more\n"})
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "error" || m.Field != "stdin" {
		t.Fatalf("after stdin: %+v, %v; want an error about stdin", m, err)
	}
	wsjson.Write(ctx, conn, map[string]string{"type": "stop"})
	if err := <-ended; err == nil {
		t.Error("the run's context did not end")
	}
	msgs := readUntilClosed(t, ctx, conn)
	if len(msgs) != 1 || msgs[0].Type != "error" || !strings.Contains(msgs[0].Error, "stopped") {
		t.Errorf("after stop: %+v; want one error saying it stopped", msgs)
	}
}

// TestStreamClientGone: closing the socket kills the run.
func TestStreamClientGone(t *testing.T) {
	ended := make(chan error, 1)
	running := make(chan struct{})
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		close(running)
		<-ctx.Done()
		ended <- ctx.Err()
		return executor.Result{}, ctx.Err()
	})
	srv := httptest.NewServer(newTestServer(t, exec, Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	conn := dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "x"})
	<-running
	conn.Close(websocket.StatusGoingAway, "bye")
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatal("the run went on after the client left")
	}
}

// TestStreamAuthAndOrigin: the socket needs the token like the other API routes (a browser's
// cookie will do), and a foreign page's Origin is refused unless --cors-origin allows it.
func TestStreamAuthAndOrigin(t *testing.T) {
	srv := httptest.NewServer(newTestServer(t, nil, Options{APIToken: "tok"}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/run/stream"
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"no token", nil, 401},
		{"foreign origin", http.Header{"Cookie": {"sandrun_token=tok"}, "Origin": {"https://evil.example"}}, 403},
	} {
		_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: tc.header})
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s: err %v, resp %v; want refused with %d", tc.name, err, resp, tc.status)
		}
	}
	conn := dialStream(t, ctx, srv, http.Header{"Cookie": {"sandrun_token=tok"}, "Origin": {srv.URL}})
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "out ok"})
	msgs := readUntilClosed(t, ctx, conn)
	if len(msgs) == 0 || msgs[len(msgs)-1].Type != "result" {
		t.Errorf("with the cookie: %+v; want a result", msgs)
	}
}

func TestStreamPlainGET(t *testing.T) {
	w := do(t, newTestServer(t, nil, Options{}), "GET", "/api/v1/run/stream", "")
	if w.Code != http.StatusUpgradeRequired || !strings.Contains(w.Body.String(), "WebSocket") {
		t.Errorf("status %d body %s; want 426 with an {error} saying to use WebSocket", w.Code, w.Body)
	}
}

// TestStreamBatched: a program writing 2000 single bytes reaches the client in a few messages,
// every byte in order. The batching window is made long so only the size limit and the run's
// end send, whatever the machine's load.
func TestStreamBatched(t *testing.T) {
	defer func(w time.Duration) { outputWindow = w }(outputWindow)
	outputWindow = time.Hour
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		for range 2000 {
			on(executor.Event{Stage: executor.StageRun, Stream: executor.Stderr, Data: []byte("x")})
		}
		return executor.Result{Language: "python", Version: "3.11.2", Status: executor.StatusOK}, nil
	})
	srv := httptest.NewServer(newTestServer(t, exec, Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	conn := dialStream(t, ctx, srv, nil)
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "run", "language": "py", "source": "x"}); err != nil {
		t.Fatal(err)
	}
	var n int
	var all strings.Builder
	for _, m := range readUntilClosed(t, ctx, conn) {
		if m.Type == "output" {
			n++
			all.WriteString(m.Data)
		}
	}
	if n >= 200 || all.String() != strings.Repeat("x", 2000) {
		t.Errorf("%d output messages with %d bytes, want far fewer than 2000 with all 2000 bytes", n, all.Len())
	}
}

// TestStreamInteractiveWallClock: an interactive run waits for a person typing, so unless the
// request sets one its wall clock is the server's most (not the executor's 2×CPU+1s, which
// ended a Live input run in the page after 5s); the CPU limit stays the request's. Other runs
// keep the executor's default.
func TestStreamInteractiveWallClock(t *testing.T) {
	exec := newFake(nil)
	srv := httptest.NewServer(newTestServer(t, exec, Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	for _, tt := range []struct {
		name        string
		interactive bool
		limits      map[string]any
		want        executor.Limits
	}{
		{"interactive", true, nil, executor.Limits{WallTimeMs: DefaultMaxLimits().WallTimeMs}},
		{"interactive with a CPU limit", true, map[string]any{"cpu_time_ms": 1500}, executor.Limits{CPUTimeMs: 1500, WallTimeMs: DefaultMaxLimits().WallTimeMs}},
		{"interactive with a wall clock", true, map[string]any{"wall_time_ms": 4000}, executor.Limits{WallTimeMs: 4000}},
		{"not interactive", false, nil, executor.Limits{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn := dialStream(t, ctx, srv, nil)
			run := map[string]any{"language": "python", "source": "out hi", "interactive": tt.interactive}
			if tt.limits != nil {
				run["limits"] = tt.limits
			}
			wsjson.Write(ctx, conn, run)
			if tt.interactive {
				wsjson.Write(ctx, conn, map[string]any{"type": "stdin", "eof": true})
			}
			if msgs := readUntilClosed(t, ctx, conn); len(msgs) == 0 || msgs[len(msgs)-1].Type != "result" {
				t.Fatalf("messages %+v; want a result last", msgs)
			}
			if got := lastRequest(t, exec).Limits; got != tt.want {
				t.Errorf("the executor got limits %+v, want %+v", got, tt.want)
			}
		})
	}
}
