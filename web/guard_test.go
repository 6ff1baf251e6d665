package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor/executortest"
)

// These tests are the attacks a web page can make on a `sandrun serve` its visitor's machine
// runs, sent as raw HTTP over TCP with the headers a browser would put there.

// startGuarded serves a fake-executor Server through Serve on 127.0.0.1:0 (so that it knows
// its listen address) and returns "127.0.0.1:PORT".
func startGuarded(t *testing.T, exec *executortest.Fake, opts Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, exec, opts)
	done := make(chan struct{})
	go func() { s.Serve(ln); close(done) }()
	t.Cleanup(func() { s.Close(); <-done })
	return ln.Addr().String()
}

// rawHTTP sends one request as written (headers "Name: value" lines, then body) and returns
// the status code and body.
func rawHTTP(t *testing.T, addr, method, path string, headers []string, body string) (int, string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(2 * time.Minute)) // a hang only
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, path)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("Connection: close\r\n\r\n" + body)
	if _, err := io.WriteString(nc, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

const attackRun = `{"language":"python","source":"out pwned"}`

func TestGuardAttacks(t *testing.T) {
	exec := newFake(nil)
	addr := startGuarded(t, exec, Options{})
	_, port, _ := net.SplitHostPort(addr)
	evil := "attacker.example:" + port
	for _, tt := range []struct {
		name    string
		method  string
		path    string
		headers []string
		body    string
		status  int
		says    string
	}{
		{"cross-site simple POST, text/plain", "POST", "/api/v1/run",
			[]string{"Host: " + addr, "Origin: http://evil.example", "Sec-Fetch-Site: cross-site", "Content-Type: text/plain"},
			attackRun, 403, "other sites"},
		{"cross-site form POST to Piston", "POST", "/api/v2/execute",
			[]string{"Host: " + addr, "Origin: http://evil.example", "Content-Type: application/x-www-form-urlencoded"},
			`{"language":"python","version":"*","files":[{"content":"out pwned"}]}`, 403, "other sites"},
		{"text/plain without Origin", "POST", "/api/v1/run",
			[]string{"Host: " + addr, "Content-Type: text/plain"}, attackRun, 415, "application/json"},
		{"Piston text/plain", "POST", "/api/v2/execute",
			[]string{"Host: " + addr, "Content-Type: text/plain;charset=UTF-8"},
			`{"language":"python","version":"*","files":[{"content":"out pwned"}]}`, 415, "requests must be of type application/json"},
		{"DNS rebinding POST", "POST", "/api/v1/run",
			[]string{"Host: " + evil, "Origin: http://" + evil, "Sec-Fetch-Site: same-origin", "Content-Type: application/json"},
			attackRun, 421, "not this server's name"},
		{"DNS rebinding read of the languages", "GET", "/api/v1/languages",
			[]string{"Host: " + evil, "Origin: http://" + evil}, "", 421, "not this server's name"},
		{"DNS rebinding WebSocket", "GET", "/api/v1/run/stream",
			[]string{"Host: " + evil, "Origin: http://" + evil, "Upgrade: websocket", "Connection: Upgrade",
				"Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}, "", 421, "not this server's name"},
		{"cross-site WebSocket", "GET", "/api/v1/run/stream",
			[]string{"Host: " + addr, "Origin: http://evil.example", "Upgrade: websocket", "Connection: Upgrade",
				"Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}, "", 403, "other sites"},
		{"cross-site GET without Origin (an img tag)", "GET", "/api/v1/languages",
			[]string{"Host: " + addr, "Sec-Fetch-Site: cross-site"}, "", 403, "other sites"},
		{"loopback name on another port", "GET", "/api/v1/languages",
			[]string{"Host: localhost:1"}, "", 421, "not this server's name"},
		{"opaque origin", "POST", "/api/v1/run",
			[]string{"Host: " + addr, "Origin: null", "Content-Type: application/json"}, attackRun, 403, "other sites"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawHTTP(t, addr, tt.method, tt.path, tt.headers, tt.body)
			if status != tt.status || !strings.Contains(body, tt.says) {
				t.Errorf("status %d, body %q; want %d saying %q", status, body, tt.status, tt.says)
			}
			if !strings.HasPrefix(strings.TrimSpace(body), "{") {
				t.Errorf("answer %q is not JSON", body)
			}
		})
	}
	if reqs := exec.Requests(); len(reqs) != 0 {
		t.Errorf("%d attack runs reached the executor, want 0", len(reqs))
	}
}

// TestGuardFriends: the page itself, programs, allowed origins and public host names still work.
func TestGuardFriends(t *testing.T) {
	addr := startGuarded(t, newFake(nil), Options{CORSOrigins: []string{"https://ide.example"}, PublicHosts: []string{"sandrun.example.com"}})
	_, port, _ := net.SplitHostPort(addr)
	for _, tt := range []struct {
		name    string
		headers []string
	}{
		{"curl", []string{"Host: " + addr, "Content-Type: application/json"}},
		{"the page", []string{"Host: " + addr, "Origin: http://" + addr, "Sec-Fetch-Site: same-origin", "Content-Type: application/json"}},
		{"the page as localhost", []string{"Host: localhost:" + port, "Origin: http://localhost:" + port, "Content-Type: application/json; charset=utf-8"}},
		{"the page over IPv6 loopback", []string{"Host: [::1]:" + port, "Content-Type: application/json"}},
		{"an allowed origin", []string{"Host: " + addr, "Origin: https://ide.example", "Sec-Fetch-Site: cross-site", "Content-Type: application/json"}},
		{"behind a proxy", []string{"Host: sandrun.example.com", "Origin: https://sandrun.example.com", "Content-Type: application/json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawHTTP(t, addr, "POST", "/api/v1/run", tt.headers, `{"language":"python","source":"out hi"}`)
			if status != 200 || !strings.Contains(body, `"stdout":"hi\n"`) {
				t.Errorf("status %d, body %q; want 200 with the run", status, body)
			}
		})
	}
	// A cross-site navigation to the page (a link from elsewhere, e.g. /?token=) still opens it.
	if status, _ := rawHTTP(t, addr, "GET", "/", []string{"Host: " + addr, "Sec-Fetch-Site: cross-site"}, ""); status != 200 {
		t.Errorf("cross-site navigation to the page: %d, want 200", status)
	}
}
