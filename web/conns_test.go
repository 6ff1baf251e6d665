package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/sandrun/sandrun/executor"
)

// syncBuffer is a log sink tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestConnLimiter: an address holds at most perIP connections and the server at most total;
// a release frees a place; each address's refusals are logged once until it drops below the
// cap, and the total cap's once until the count drops below it.
func TestConnLimiter(t *testing.T) {
	var logs syncBuffer
	l := newConnLimiter(2, 3, slog.New(slog.NewTextHandler(&logs, nil)))
	for _, ip := range []string{"10.0.0.1", "10.0.0.1"} {
		if msg, ok := l.acquire(ip); !ok {
			t.Fatalf("acquire %s: refused (%s), want a place", ip, msg)
		}
	}
	for range 2 {
		if msg, ok := l.acquire("10.0.0.1"); ok || !strings.Contains(msg, "too many connections from 10.0.0.1: at most 2") {
			t.Fatalf("third from 10.0.0.1: ok=%v %q; want refused with the cap", ok, msg)
		}
	}
	if msg, ok := l.acquire("10.0.0.2"); !ok {
		t.Fatalf("another address: refused (%s), want a place", msg)
	}
	if msg, ok := l.acquire("10.0.0.3"); ok || !strings.Contains(msg, "the server has 3 connections open") {
		t.Fatalf("past the total: ok=%v %q; want refused with the total", ok, msg)
	}
	l.acquire("10.0.0.4")
	if n := strings.Count(logs.String(), "--max-conns-per-ip"); n != 1 {
		t.Errorf("%d log lines for 10.0.0.1's refusals, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "as --max-conns allows"); n != 1 {
		t.Errorf("%d log lines for the total, want 1:\n%s", n, logs.String())
	}
	l.release("10.0.0.1")
	if l.openConns() != 2 {
		t.Errorf("open after a release: %d, want 2", l.openConns())
	}
	if msg, ok := l.acquire("10.0.0.1"); !ok {
		t.Fatalf("after a release: refused (%s), want the freed place", msg)
	}
	l.acquire("10.0.0.1")
	if n := strings.Count(logs.String(), "--max-conns-per-ip"); n != 2 {
		t.Errorf("%d log lines after 10.0.0.1 dropped below its cap and passed it again, want 2", n)
	}
	l.release("10.0.0.1")
	l.release("10.0.0.1")
	l.release("10.0.0.2")
	if l.openConns() != 0 || len(l.byIP) != 0 {
		t.Errorf("after every release: %d open, %d addresses kept; want none", l.openConns(), len(l.byIP))
	}
	off := newConnLimiter(-1, -1, quietLogger())
	for i := range 1000 {
		if _, ok := off.acquire("10.0.0.1"); !ok {
			t.Fatalf("no cap: connection %d refused", i)
		}
	}
}

func TestParseConnCap(t *testing.T) {
	for in, want := range map[string]int{"64": 64, "1": 1, "off": -1, "0": -1} {
		if got, err := ParseConnCap(in); err != nil || got != want || (want > 0 && ConnCapString(got) != in) {
			t.Errorf("ParseConnCap(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "many", "-3", "1.5"} {
		if _, err := ParseConnCap(bad); err == nil {
			t.Errorf("ParseConnCap(%q): no error", bad)
		}
	}
}

// rawConn is an HTTP/1.1 keep-alive connection a test sends requests on by hand.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialFrom(t *testing.T, from, addr string) *rawConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

// get sends GET path and reads the answer; the connection stays open unless the server closes it.
func (c *rawConn) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	host := c.RemoteAddr().String()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// TestServeConnCap: with MaxConnsPerIP 2, a WebSocket run and a keep-alive connection fill
// 127.0.0.1's places; its next connection is answered 503 with a sentence and Retry-After,
// another address is served, /metrics counts it, and ending the WebSocket frees a place.
func TestServeConnCap(t *testing.T) {
	started := make(chan struct{}, 1)
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		started <- struct{}{}
		<-ctx.Done()
		return executor.Result{}, ctx.Err()
	})
	var logs syncBuffer
	s := newTestServer(t, exec, Options{MaxConnsPerIP: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	addr := ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hangs only
	defer cancel()

	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/api/v1/run/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := wsjson.Write(ctx, ws, map[string]any{"language": "python", "source": "x"}); err != nil {
		t.Fatal(err)
	}
	<-started
	held := dialFrom(t, "127.0.0.1", addr)
	if resp, _ := held.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Fatalf("second connection: %d, want 200", resp.StatusCode)
	}

	over := dialFrom(t, "127.0.0.1", addr)
	resp, body := over.get(t, "/healthz")
	var e struct{ Error string }
	json.Unmarshal([]byte(body), &e)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/json" ||
		!strings.Contains(e.Error, "too many connections from 127.0.0.1: at most 2 at once") {
		t.Errorf("third connection: %d %v %q; want 503, Retry-After and the cap's sentence", resp.StatusCode, resp.Header, body)
	}
	if !strings.Contains(logs.String(), "remote=127.0.0.1") || !strings.Contains(logs.String(), "--max-conns-per-ip") {
		t.Errorf("no log line for the refusal:\n%s", logs.String())
	}

	other := dialFrom(t, "127.0.0.2", addr)
	if resp, _ := other.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Errorf("another address: %d, want 200", resp.StatusCode)
	}
	if _, m := other.get(t, "/metrics"); !strings.Contains(m, "sandrun_http_connections 3") || !strings.Contains(m, "sandrun_http_connections_refused_total 1") {
		t.Errorf("/metrics lacks 3 open connections and 1 refused:\n%s", m)
	}

	ws.CloseNow()
	for ctx.Err() == nil { // the server counts the WebSocket out when its handler ends
		c := dialFrom(t, "127.0.0.1", addr)
		resp, _ := c.get(t, "/healthz")
		c.Close()
		if resp.StatusCode == 200 {
			return
		}
	}
	t.Error("closing the WebSocket freed no place")
}
