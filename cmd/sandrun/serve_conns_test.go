package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// connTo is an HTTP/1.1 keep-alive connection from a chosen loopback address.
type connTo struct {
	net.Conn
	r *bufio.Reader
}

func dialServe(t *testing.T, from, addr string) *connTo {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &connTo{Conn: c, r: bufio.NewReader(c)}
}

func (c *connTo) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, c.RemoteAddr()); err != nil {
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

// TestServeConnCap: `serve --max-conns-per-ip 3` serves three keep-alive connections from
// 127.0.0.1; the fourth is answered 503 with Retry-After and a one-sentence JSON error, and the
// log says so once; 127.0.0.2 is still served; closing one of the three frees a place.
func TestServeConnCap(t *testing.T) {
	srv := startServeLog(t, "--max-conns-per-ip", "3")
	serving := srv.serving
	if !strings.Contains(serving, `"max_conns_per_ip":"3"`) || !strings.Contains(serving, `"max_conns":"4096"`) {
		t.Errorf("serving line %s: want max_conns_per_ip 3 and max_conns 4096", serving)
	}
	addr := strings.TrimPrefix(srv.base, "http://")

	var held []*connTo
	for i := range 3 {
		c := dialServe(t, "127.0.0.1", addr)
		if resp, _ := c.get(t, "/healthz"); resp.StatusCode != 200 {
			t.Fatalf("connection %d: %d, want 200", i+1, resp.StatusCode)
		}
		held = append(held, c)
	}
	resp, body := dialServe(t, "127.0.0.1", addr).get(t, "/healthz")
	var e map[string]string
	if err := json.Unmarshal([]byte(body), &e); err != nil || len(e) != 1 ||
		e["error"] != "too many connections from 127.0.0.1: at most 3 at once; close some and try again" ||
		resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("fourth connection: %d Retry-After %q %q; want 503, Retry-After and {\"error\": the cap's sentence}", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if l := srv.next(t, "connections refused"); !strings.Contains(l, `"remote":"127.0.0.1"`) || !strings.Contains(l, "--max-conns-per-ip") {
		t.Errorf("refusal log line %s: want the address and the flag", l)
	}

	other := dialServe(t, "127.0.0.2", addr)
	if resp, _ := other.get(t, "/healthz"); resp.StatusCode != 200 {
		t.Errorf("127.0.0.2 while 127.0.0.1 is full: %d, want 200", resp.StatusCode)
	}
	if _, m := other.get(t, "/metrics"); !strings.Contains(m, "sandrun_http_connections 4") || !strings.Contains(m, "sandrun_http_connections_refused_total 1") {
		t.Errorf("/metrics: want 4 connections open and 1 refused:\n%s", m)
	}

	held[0].Close()
	deadline := time.Now().Add(2 * time.Minute) // hangs only
	for time.Now().Before(deadline) {           // the server counts a connection out when it reads its close
		c := dialServe(t, "127.0.0.1", addr)
		resp, _ := c.get(t, "/healthz")
		c.Close()
		if resp.StatusCode == 200 {
			return
		}
	}
	t.Error("closing a connection freed no place")
}
