package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// wait bounds every wait in these tests; it is a deadlock guard, never a speed assertion (the
// first real run on a busy machine pays for toolchain detection).
const wait = 90 * time.Second

// wireMsg is any JSON-RPC message as it crossed the pipe.
type wireMsg struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *wireError      `json:"error,omitempty"`
}

type wireError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// client is a test LSP client speaking real framing over a net.Pipe to a Server.
type client struct {
	t      testing.TB
	conn   net.Conn
	served chan error // Serve's result

	writeMu sync.Mutex
	nextID  int

	mu        sync.Mutex
	responses map[string]chan wireMsg // id → response
	notes     []wireMsg               // notifications, in arrival order
	serverReq []wireMsg               // requests the server sent
	changed   chan struct{}           // closed and replaced whenever notes grow
	settings  json.RawMessage         // answer to workspace/configuration
}

// startServer serves a Server on one end of a pipe and returns a client on the other.
func startServer(t testing.TB, opts Options) *client {
	t.Helper()
	if opts.Log == nil {
		opts.Log = newTestLog(t)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srvEnd, cliEnd := net.Pipe()
	c := &client{t: t, conn: cliEnd, served: make(chan error, 1), responses: map[string]chan wireMsg{}, changed: make(chan struct{})}
	go func() { c.served <- s.Serve(context.Background(), srvEnd) }()
	go c.readLoop()
	t.Cleanup(func() {
		cliEnd.Close()
		select {
		case <-c.served:
		case <-time.After(wait):
			t.Error("Serve did not return after the client closed its end")
		}
	})
	return c
}

// testLog sends the server's log to the test log until the test ends: goroutines of the server
// may still log after that, and testing forbids (and the race detector flags) a late t.Log.
type testLog struct {
	t  testing.TB
	st *testLogState
}

type testLogState struct {
	mu   sync.Mutex
	done bool
}

func newTestLog(t testing.TB) testLog {
	st := &testLogState{}
	t.Cleanup(func() { st.mu.Lock(); st.done = true; st.mu.Unlock() })
	return testLog{t, st}
}

func (l testLog) Write(p []byte) (int, error) {
	l.st.mu.Lock()
	defer l.st.mu.Unlock()
	if !l.st.done {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (c *client) readLoop() {
	r := bufio.NewReader(c.conn)
	for {
		length := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(v)
			}
		}
		if length < 0 {
			c.t.Errorf("server sent a frame without Content-Length")
			return
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m wireMsg
		if err := json.Unmarshal(body, &m); err != nil {
			c.t.Errorf("server sent invalid JSON %q: %v", body, err)
			return
		}
		if m.JSONRPC != "2.0" {
			c.t.Errorf("server sent %q without jsonrpc 2.0", body)
		}
		switch {
		case m.Method != "" && m.ID != nil:
			c.answerServer(m)
		case m.Method != "":
			c.mu.Lock()
			c.notes = append(c.notes, m)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		default:
			c.mu.Lock()
			ch := c.responseChan(string(m.ID))
			c.mu.Unlock()
			ch <- m
		}
	}
}

// answerServer answers the server's own requests the way VS Code does.
func (c *client) answerServer(m wireMsg) {
	c.mu.Lock()
	c.serverReq = append(c.serverReq, m)
	settings := c.settings
	c.mu.Unlock()
	result := json.RawMessage("null")
	if m.Method == "workspace/configuration" && settings != nil {
		result = json.RawMessage("[" + string(settings) + "]")
	}
	c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
}

func (c *client) responseChan(id string) chan wireMsg {
	ch, ok := c.responses[id]
	if !ok {
		ch = make(chan wireMsg, 1)
		c.responses[id] = ch
	}
	return ch
}

// send writes one framed message.
func (c *client) send(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(data), data))
}

// sendRaw writes bytes as they are (for garbage).
func (c *client) sendRaw(s string) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Errorf("write to server: %v", err)
	}
}

// request sends a request with a fresh numeric id and returns the id.
func (c *client) request(method string, params any) json.RawMessage {
	c.writeMu.Lock()
	c.nextID++
	id := json.RawMessage(strconv.Itoa(c.nextID))
	c.writeMu.Unlock()
	c.requestID(id, method, params)
	return id
}

func (c *client) requestID(id json.RawMessage, method string, params any) {
	c.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

func (c *client) notify(method string, params any) {
	c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// response waits for the answer to id.
func (c *client) response(id json.RawMessage) wireMsg {
	c.t.Helper()
	c.mu.Lock()
	ch := c.responseChan(string(id))
	c.mu.Unlock()
	select {
	case m := <-ch:
		return m
	case <-time.After(wait):
		c.t.Fatalf("no response to request %s within %s", id, wait)
		return wireMsg{}
	}
}

// call sends a request and decodes its result into out (if not nil); it fails on an error answer.
func (c *client) call(method string, params, out any) {
	c.t.Helper()
	m := c.response(c.request(method, params))
	if m.Error != nil {
		c.t.Fatalf("%s: error %d %s", method, m.Error.Code, m.Error.Message)
	}
	if out != nil {
		if err := json.Unmarshal(m.Result, out); err != nil {
			c.t.Fatalf("%s: result %s: %v", method, m.Result, err)
		}
	}
}

// callErr sends a request that must fail and returns its error.
func (c *client) callErr(method string, params any) *wireError {
	c.t.Helper()
	m := c.response(c.request(method, params))
	if m.Error == nil {
		c.t.Fatalf("%s: want an error, got result %s", method, m.Result)
	}
	return m.Error
}

// command runs workspace/executeCommand with one argument.
func (c *client) command(name string, arg any) json.RawMessage {
	args := []any{}
	if arg != nil {
		args = append(args, arg)
	}
	return c.request("workspace/executeCommand", map[string]any{"command": name, "arguments": args})
}

// waitNote waits for the first notification from index from on that matches, and returns its
// index.
func (c *client) waitNote(from int, method string, match func(json.RawMessage) bool) (int, wireMsg) {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		for i := from; i < len(c.notes); i++ {
			if m := c.notes[i]; m.Method == method && (match == nil || match(m.Params)) {
				c.mu.Unlock()
				return i, m
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			c.t.Fatalf("no %s notification within %s", method, wait)
		}
	}
}

// runNotes waits for run id's sandrun/result and returns every notification of that run.
func (c *client) runNotes(runID string) []wireMsg {
	c.t.Helper()
	c.waitNote(0, NotifyResult, hasRunID(runID))
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []wireMsg
	for _, m := range c.notes {
		if strings.HasPrefix(m.Method, "sandrun/") && hasRunID(runID)(m.Params) {
			out = append(out, m)
		}
	}
	return out
}

func hasRunID(id string) func(json.RawMessage) bool {
	return func(p json.RawMessage) bool {
		var v struct {
			RunID string `json:"runId"`
		}
		return json.Unmarshal(p, &v) == nil && v.RunID == id
	}
}

func forURI(uri string) func(json.RawMessage) bool {
	return func(p json.RawMessage) bool {
		var v struct {
			URI string `json:"uri"`
		}
		return json.Unmarshal(p, &v) == nil && v.URI == uri
	}
}

// noteCount is the number of notifications so far.
func (c *client) noteCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.notes)
}

// initialize does the handshake with the given capabilities and initializationOptions.
func (c *client) initialize(caps, initOptions any) map[string]any {
	c.t.Helper()
	if caps == nil {
		caps = map[string]any{}
	}
	var res map[string]any
	params := map[string]any{"processId": nil, "rootUri": nil, "capabilities": caps}
	if initOptions != nil {
		params["initializationOptions"] = initOptions
	}
	c.call("initialize", params, &res)
	c.notify("initialized", map[string]any{})
	return res
}

func (c *client) didOpen(uri, languageID, text string) {
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": languageID, "version": 1, "text": text}})
}

// decode unmarshals raw into a new T.
func decode[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// runDone waits for sandrun.run request id's answer and returns it.
func (c *client) runDone(id json.RawMessage) RunReply {
	c.t.Helper()
	m := c.response(id)
	if m.Error != nil {
		c.t.Fatalf("sandrun.run: error %d %s", m.Error.Code, m.Error.Message)
	}
	return decode[RunReply](c.t, m.Result)
}

// output joins a run's sandrun/output data per stream, and the streams in arrival order.
func output(t testing.TB, notes []wireMsg) (all string, byStream map[executor.Stream]string) {
	byStream = map[executor.Stream]string{}
	for _, m := range notes {
		if m.Method != NotifyOutput {
			continue
		}
		o := decode[OutputParams](t, m.Params)
		all += o.Data
		byStream[o.Stream] += o.Data
	}
	return all, byStream
}
