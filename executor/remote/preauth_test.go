package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"
)

// These tests attack the executor's front door the way a stranger would: raw sockets, crafted
// headers, no token or a wrong one.

// TestHTTPRequestIsNotAFrame: a browser page can make a loopback executor read an HTTP request
// (fetch in no-cors mode). A request line with a colon ("POST /x:y HTTP/1.1") once passed as a
// header and the JSON-RPC body ran on a token-less executor. It must be a broken frame that
// closes the connection before any work.
func TestHTTPRequestIsNotAFrame(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake(2, 2)
	srv := NewServer(fake, ServerOptions{}) // no token: loopback only, as `sandrun executor` allows
	go srv.Serve(ln)
	defer srv.Close()

	body := `{"jsonrpc":"2.0","id":1,"method":"run","params":{"run_id":"x","request":{"language":"sh","files":[{"name":"s","content":"b3V0IHB3bmVk"}]}}}`
	for _, head := range []string{
		"POST /x:y HTTP/1.1\r\nHost: 127.0.0.1:7070\r\nContent-Type: text/plain\r\n",
		"POST /:/ HTTP/1.1\r\n",
		" Content-Length: 3\r\n",
		"Content Length: 3\r\n",
	} {
		t.Run(strings.TrimSpace(head[:min(len(head), 20)]), func(t *testing.T) {
			r := rawDial(t, ln.Addr().String())
			r.write(head + fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
			r.expectError(jsonrpc2.ParseError, `is not "Name: value"`)
			r.expectClosed()
		})
	}
	if started, _ := fake.Stats(); started != 0 {
		t.Errorf("%d runs started from HTTP requests, want 0", started)
	}
}

// TestPreAuthFrameLimit: before authenticate succeeds a frame may be at most 4 KiB, whatever
// --max-message says; the body is refused from its header, before it is read.
func TestPreAuthFrameLimit(t *testing.T) {
	addr, _ := startServer(t, newFake(2, 2), ServerOptions{MaxMessageBytes: 128 << 20})
	r := rawDial(t, addr)
	r.write("Content-Length: 120000000\r\n\r\n" + strings.Repeat("x", 64<<10))
	r.expectError(CodeTooLarge, "at most 4096 bytes")
	r.expectClosed()

	// A login of a sane size still works, and then large frames are allowed.
	r = rawDial(t, addr)
	r.authenticate(testToken)
	big := `{"jsonrpc":"2.0","id":2,"method":"health","params":{"pad":"` + strings.Repeat("x", 8<<10) + `"}}`
	r.send(big)
	if m, err := r.recv(); err != nil || m.Error != nil {
		t.Fatalf("an 8 KiB message after authentication: %v %+v", err, m.Error)
	}
}

// TestUnauthenticatedPerIPCap: one address cannot hold every connection slot without logging in.
func TestUnauthenticatedPerIPCap(t *testing.T) {
	addr, srv := startServer(t, newFake(2, 2), ServerOptions{MaxUnauthPerIP: 3})
	var held []*raw
	for range 3 {
		r := rawDial(t, addr)
		r.write("X-Hold: 1\r\n") // a header begun, never finished
		held = append(held, r)
	}
	waitFor(t, "three unauthenticated connections counted", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.unauth["127.0.0.1"] == 3
	})
	extra := rawDial(t, addr)
	extra.expectClosed()

	// Logging in frees the slot; a closed connection does too.
	held[0].write("\r\n")
	held[0].nc.Close()
	waitFor(t, "a slot freed", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.unauth["127.0.0.1"] == 2
	})
	checkServes(t, addr)
}

// TestFailedLoginsSlowDown: each wrong token from an address makes its next attempt wait longer.
func TestFailedLoginsSlowDown(t *testing.T) {
	addr, srv := startServer(t, newFake(2, 2), ServerOptions{})
	for i := 1; i <= 3; i++ {
		r := rawDial(t, addr)
		r.send(`{"jsonrpc":"2.0","id":1,"method":"authenticate","params":{"token":"guess-guess-guess-` + fmt.Sprint(i) + `"}}`)
		r.expectError(CodeUnauthorized, "wrong token")
		r.expectClosed()
		if got := srv.logins.failures("127.0.0.1"); got != i {
			t.Fatalf("after %d wrong tokens the server counts %d failures", i, got)
		}
	}
	if d := srv.logins.delay("127.0.0.1"); d != loginDelay(3) || d <= loginDelay(2) || loginDelay(2) <= loginDelay(1) || loginDelay(1) <= 0 {
		t.Errorf("delay after 3 failures %v; delays %v %v %v must grow", d, loginDelay(1), loginDelay(2), loginDelay(3))
	}
	if loginDelay(100) != loginMaxDelay {
		t.Errorf("loginDelay(100) = %v, want the cap %v", loginDelay(100), loginMaxDelay)
	}
	// The right token still gets in (after the wait), and clears the record.
	checkServes(t, addr)
	if got := srv.logins.failures("127.0.0.1"); got != 0 {
		t.Errorf("after a good login %d failures remain", got)
	}
}

// TestShortTokenRefused: a guessable token stops the server at start, saying how to make one.
func TestShortTokenRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = NewServer(newFake(1, 1), ServerOptions{Token: "t0ken"}).Serve(ln)
	if err == nil || !strings.Contains(err.Error(), "at least 16") || !strings.Contains(err.Error(), "/dev/urandom") {
		t.Errorf("Serve with a 5-character token: %v, want a refusal saying how to make a token", err)
	}
}

// TestNoPlaintextTokenOffMachine: the client does not send a token in the clear to another
// machine unless told to.
func TestNoPlaintextTokenOffMachine(t *testing.T) {
	_, err := Dial(context.Background(), "tcp://192.0.2.1:7070", Options{Token: testToken})
	if err == nil || !strings.Contains(err.Error(), "plain TCP") || !strings.Contains(err.Error(), "--insecure-plaintext") {
		t.Errorf("Dial to a remote host over plain TCP with a token: %v, want a refusal", err)
	}
	// Loopback is fine in the clear.
	addr, _ := startServer(t, newFake(1, 1), ServerOptions{})
	dial(t, addr, Options{})
	// And the refusal is not a network error (nothing was dialed).
	var ne net.Error
	if errors.As(err, &ne) {
		t.Errorf("refusal %v looks like a network error: nothing should have been dialed", err)
	}
}
