package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
)

// raw is a hand-driven connection speaking the framing, for tests of bad peers.
type raw struct {
	t  *testing.T
	nc net.Conn
	in *bufio.Reader
}

func rawDial(t *testing.T, addr string) *raw {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &raw{t: t, nc: nc, in: bufio.NewReader(nc)}
}

func (r *raw) send(body string) {
	r.t.Helper()
	r.write(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
}

func (r *raw) write(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.nc, s); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// wireMsg is any JSON-RPC message as read back.
type wireMsg struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *jsonrpc2.Error `json:"error"`
}

// rawWait bounds a raw read: it catches a hang only (a starved machine can take seconds to
// answer, and TestFailedLoginsSlowDown's executor waits before it answers on purpose).
const rawWait = 2 * time.Minute

// recv reads one frame within rawWait.
func (r *raw) recv() (wireMsg, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(rawWait))
	n := -1
	for {
		line, err := r.in.ReadString('\n')
		if err != nil {
			return wireMsg{}, err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r.in, body); err != nil {
		return wireMsg{}, err
	}
	var m wireMsg
	err := json.Unmarshal(body, &m)
	return m, err
}

// expectError reads one message and checks it is an error with code.
func (r *raw) expectError(code jsonrpc2.Code, contains string) {
	r.t.Helper()
	m, err := r.recv()
	if err != nil {
		r.t.Fatalf("reading the error answer: %v", err)
	}
	if m.Error == nil || m.Error.Code != code || !strings.Contains(m.Error.Message, contains) {
		r.t.Fatalf("got %+v (error %+v), want error code %d containing %q", m, m.Error, code, contains)
	}
}

// expectClosed checks the server closes the connection (within rawWait).
func (r *raw) expectClosed() {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(rawWait))
	if _, err := io.ReadAll(r.in); err != nil {
		r.t.Fatalf("connection not closed by the server: %v", err)
	}
}

func (r *raw) authenticate(token string) {
	r.t.Helper()
	r.send(`{"jsonrpc":"2.0","id":1,"method":"authenticate","params":{"token":"` + token + `"}}`)
	m, err := r.recv()
	if err != nil || m.Error != nil {
		r.t.Fatalf("authenticate: %v %+v", err, m.Error)
	}
}

// checkServes fails the test unless a fresh client can still run a program.
func checkServes(t *testing.T, addr string) {
	t.Helper()
	res, err := dial(t, addr, Options{}).Run(context.Background(), script("out alive"), nil)
	if err != nil || res.Stdout != "alive\n" {
		t.Fatalf("the executor no longer serves: %q, %v", res.Stdout, err)
	}
}

func TestAuthentication(t *testing.T) {
	addr, _ := startServer(t, newFake(2, 2), ServerOptions{})
	for _, tt := range []struct{ name, token, want string }{
		{"wrong token", "guess", "wrong token"},
		{"no token", "", "this executor needs a token"},
		{"token prefix", testToken[:len(testToken)-1], "wrong token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Dial(context.Background(), addr, Options{Token: tt.token})
			if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial: got %v, want ErrUnauthorized saying %q", err, tt.want)
			}
		})
	}
	t.Run("method before authenticate", func(t *testing.T) {
		r := rawDial(t, addr)
		r.send(`{"jsonrpc":"2.0","id":1,"method":"languages"}`)
		r.expectError(CodeUnauthorized, `call "authenticate" first`)
		r.expectClosed()
	})
	t.Run("notification before authenticate", func(t *testing.T) {
		r := rawDial(t, addr)
		r.send(`{"jsonrpc":"2.0","method":"cancel","params":{"run_id":"r1"}}`)
		r.expectError(CodeUnauthorized, `call "authenticate" first`)
		r.expectClosed()
	})
	t.Run("wrong token closes the connection", func(t *testing.T) {
		r := rawDial(t, addr)
		r.send(`{"jsonrpc":"2.0","id":1,"method":"authenticate","params":{"token":"nope"}}`)
		r.expectError(CodeUnauthorized, "wrong token")
		r.expectClosed()
	})
	checkServes(t, addr)
}

func TestAuthTimeout(t *testing.T) {
	addr, _ := startServer(t, newFake(1, 1), ServerOptions{AuthTimeout: 200 * time.Millisecond})
	r := rawDial(t, addr)
	r.expectClosed() // silent, never authenticates
	checkServes(t, addr)
}

func TestNoTokenOnlyOnLoopback(t *testing.T) {
	// Without a token a loopback server needs no authentication to be called first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(newFake(1, 1), ServerOptions{})
	go srv.Serve(ln)
	defer srv.Close()
	c, err := Dial(context.Background(), ln.Addr().String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Capacity(context.Background()); err != nil {
		t.Errorf("Capacity on a tokenless loopback executor: %v", err)
	}
}

func TestBadFrames(t *testing.T) {
	addr, _ := startServer(t, newFake(2, 2), ServerOptions{MaxMessageBytes: 1 << 20})
	tests := []struct {
		name   string
		auth   bool
		input  string
		code   jsonrpc2.Code
		answer string
	}{
		// The body is never sent: the header alone must be refused, or the test would hang.
		{"oversized frame", true, "Content-Length: 1073741824\r\n\r\n", CodeTooLarge, "message of 1073741824 bytes is over the limit of 1048576 bytes"},
		{"oversized before auth", false, "Content-Length: 99999999999\r\n\r\n", CodeTooLarge, "before authentication"},
		{"HTTP request", false, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", jsonrpc2.ParseError, `header line "GET / HTTP/1.1" is not "Name: value"`},
		{"binary garbage", false, "\x00\x01\xfe\xff\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", jsonrpc2.ParseError, `is not "Name: value"`},
		{"endless header line", true, strings.Repeat("A", 5000), jsonrpc2.ParseError, "header line longer than 1024 bytes"},
		{"no content length", true, "Content-Type: x\r\n\r\n", jsonrpc2.ParseError, "no Content-Length"},
		{"negative length", true, "Content-Length: -5\r\n\r\n", jsonrpc2.ParseError, "not a positive number"},
		{"too many headers", true, strings.Repeat("X-A: b\r\n", 20), jsonrpc2.ParseError, "more than 16 header lines"},
		{"not JSON before auth", false, "Content-Length: 5\r\n\r\nhello", jsonrpc2.InvalidRequest, "not JSON-RPC 2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rawDial(t, addr)
			if tt.auth {
				r.authenticate(testToken)
			}
			r.write(tt.input)
			r.expectError(tt.code, tt.answer)
			r.expectClosed()
		})
	}
	checkServes(t, addr)
}

// After authentication a well-framed message that is not JSON-RPC is answered, and the
// connection goes on.
func TestBadMessageAfterAuth(t *testing.T) {
	addr, _ := startServer(t, newFake(2, 2), ServerOptions{})
	r := rawDial(t, addr)
	r.authenticate(testToken)
	for _, body := range []string{"hello", `{"jsonrpc":"2.0"}`, `[1,2,3]`} {
		r.send(body)
		r.expectError(jsonrpc2.InvalidRequest, "not JSON-RPC 2.0")
	}
	r.send(`{"jsonrpc":"2.0","id":7,"method":"nosuch"}`)
	r.expectError(jsonrpc2.MethodNotFound, `unknown method "nosuch"`)
	r.send(`{"jsonrpc":"2.0","id":8,"method":"run","params":{"run_id":5}}`)
	r.expectError(jsonrpc2.InvalidParams, "run params")
	r.send(`{"jsonrpc":"2.0","id":9,"method":"run","params":{"run_id":"","request":{}}}`)
	r.expectError(jsonrpc2.InvalidParams, "run_id must be 1 to 128 characters")
	r.send(`{"jsonrpc":"2.0","id":10,"method":"health"}`)
	m, err := r.recv()
	if err != nil || m.Error != nil || string(m.ID) != "10" {
		t.Fatalf("health after bad messages: %+v, %v", m, err)
	}
	var cp executor.Capacity
	if err := json.Unmarshal(m.Result, &cp); err != nil || cp.Slots != 2 {
		t.Errorf("health result %s: %v", m.Result, err)
	}
}

// A client that vanishes mid-run gets its runs canceled; others are served.
func TestVanishingClientCancelsItsRuns(t *testing.T) {
	f := newFake(4, 4)
	addr, _ := startServer(t, f, ServerOptions{})
	r := rawDial(t, addr)
	r.authenticate(testToken)
	req, _ := json.Marshal(RunParams{RunID: "a", Request: script("block")})
	r.send(`{"jsonrpc":"2.0","id":2,"method":"run","params":` + string(req) + `}`)
	waitFor(t, "the run to start", func() bool { s, _ := f.Stats(); return s == 1 })
	r.nc.Close()
	waitFor(t, "the run to be canceled", func() bool { _, c := f.Stats(); return c == 1 })
	checkServes(t, addr)
}

// A client that stops reading while its run streams output is cut off after WriteTimeout, and
// its run canceled.
func TestClientThatDoesNotRead(t *testing.T) {
	f := newFake(4, 4)
	addr, _ := startServer(t, f, ServerOptions{WriteTimeout: 300 * time.Millisecond})
	r := rawDial(t, addr)
	r.authenticate(testToken)
	req, _ := json.Marshal(RunParams{RunID: "a", Request: script("spam 1000000")})
	r.send(`{"jsonrpc":"2.0","id":2,"method":"run","params":` + string(req) + `}`)
	waitFor(t, "the run to be canceled", func() bool { _, c := f.Stats(); return c == 1 })
	checkServes(t, addr)
}

func TestCancelByRunID(t *testing.T) {
	f := newFake(4, 4)
	addr, _ := startServer(t, f, ServerOptions{})
	r := rawDial(t, addr)
	r.authenticate(testToken)
	req, _ := json.Marshal(RunParams{RunID: "x1", Request: script("out hi", "block")})
	r.send(`{"jsonrpc":"2.0","id":2,"method":"run","params":` + string(req) + `}`)
	if m, err := r.recv(); err != nil || m.Method != MethodOutput {
		t.Fatalf("want an output notification first, got %+v, %v", m, err)
	}
	r.send(`{"jsonrpc":"2.0","id":3,"method":"cancel","params":{"run_id":"x1"}}`)
	got := map[string]wireMsg{}
	for range 2 {
		m, err := r.recv()
		if err != nil {
			t.Fatal(err)
		}
		got[string(m.ID)] = m
	}
	if string(got["3"].Result) != `{"canceled":true}` {
		t.Errorf("cancel answered %s, want {\"canceled\":true}", got["3"].Result)
	}
	if e := got["2"].Error; e == nil || e.Code != CodeCanceled {
		t.Errorf("run answered %+v, want error code %d", got["2"], CodeCanceled)
	}
}

// A cancel that overtakes its run (sent right after it, read first) still cancels it.
func TestCancelBeforeRun(t *testing.T) {
	f := newFake(4, 4)
	addr, _ := startServer(t, f, ServerOptions{})
	r := rawDial(t, addr)
	r.authenticate(testToken)
	r.send(`{"jsonrpc":"2.0","method":"cancel","params":{"run_id":"e1"}}`)
	req, _ := json.Marshal(RunParams{RunID: "e1", Request: script("block")})
	r.send(`{"jsonrpc":"2.0","id":2,"method":"run","params":` + string(req) + `}`)
	r.expectError(CodeCanceled, "canceled")
	if started, _ := f.Stats(); started != 0 {
		t.Errorf("the executor started %d runs, want 0", started)
	}
}

func TestTooManyConnections(t *testing.T) {
	addr, _ := startServer(t, newFake(1, 1), ServerOptions{MaxConns: 1})
	first := dial(t, addr, Options{})
	r := rawDial(t, addr)
	r.expectError(CodeBusy, "the executor has 1 connections, the most it takes")
	r.expectClosed()
	_, err := Dial(context.Background(), addr, Options{Token: testToken})
	if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "the executor said: the executor has 1 connections") {
		t.Errorf("Dial to a full executor: got %v, want the executor's sentence", err)
	}
	if _, err := first.Capacity(context.Background()); err != nil {
		t.Errorf("the first connection stopped working: %v", err)
	}
}

// Calls answered from goroutines (languages, health) are bounded per connection.
func TestPendingCallsLimit(t *testing.T) {
	f := newFake(1, 1)
	f.LanguagesGate = make(chan struct{})
	addr, _ := startServer(t, f, ServerOptions{})
	r := rawDial(t, addr)
	r.authenticate(testToken)
	for i := range maxPendingCalls + 1 {
		r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"languages"}`, 100+i))
	}
	r.expectError(CodeBusy, fmt.Sprintf("already waits for %d answers", maxPendingCalls))
	close(f.LanguagesGate)
	for range maxPendingCalls {
		if m, err := r.recv(); err != nil || m.Error != nil {
			t.Fatalf("languages answer: %+v, %v", m, err)
		}
	}
}
