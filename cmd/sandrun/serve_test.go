package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeBadFlags: each mistake is one sentence naming the flag, exit 2.
func TestServeBadFlags(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"rate", []string{"serve", "--rate", "fast"}, "--rate"},
		{"max body", []string{"serve", "--max-body", "huge"}, "--max-body"},
		{"max conns per ip", []string{"serve", "--max-conns-per-ip", "many"}, "--max-conns-per-ip \"many\": want a count of connections, e.g. 64, or off"},
		{"max conns", []string{"serve", "--max-conns", "-5"}, "--max-conns \"-5\""},
		{"cors origin", []string{"serve", "--cors-origin", "example.com"}, "https://example.com"},
		{"log format", []string{"serve", "--log-format", "xml"}, "text or json"},
		{"argument", []string{"serve", "extra"}, `unexpected argument "extra"`},
		{"api token file", []string{"serve", "--api-token-file", "/nonexistent/token"}, "--api-token-file"},
		{"executor", []string{"serve", "--executor", "udp://x"}, "tcp://HOST:PORT"},
		{"hook without a phase", []string{"serve", "--hook", "/bin/true"}, "pre=PROGRAM or post=PROGRAM"},
		{"hook that is not a program", []string{"serve", "--hook", "pre=/nonexistent/hook"}, "--hook pre"},
		{"webhook not http", []string{"serve", "--webhook", "ftp://example.com/x"}, "http:// or https://"},
		{"webhook secret missing", []string{"serve", "--webhook-secret-file", "/nonexistent/secret"}, "--webhook-secret-file"},
		{"callback host with a scheme", []string{"serve", "--callback-allow", "http://example.com"}, "--callback-allow"},
		{"job ttl", []string{"serve", "--job-ttl", "0s"}, "--job-ttl"},
		{"max jobs", []string{"serve", "--max-jobs", "0"}, "--max-jobs"},
		{"grace", []string{"serve", "--grace", "soon"}, "--grace soon is not a duration"},
		{"nats tls cert without key", []string{"serve", "--nats-listen", "127.0.0.1:0", "--nats-tls-cert", "/nonexistent/cert.pem"}, "needs both --nats-tls-cert and --nats-tls-key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := sandrunCLI(t, "", tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tt.wantErr)
			}
		})
	}
}

// TestServeFrontDoor starts `sandrun serve` on a free port with an API token, checks the page,
// health and that the API needs the token, then stops it with SIGTERM: it must exit 0.
func TestServeFrontDoor(t *testing.T) {
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte("t0ken-t0ken-t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, cmd := startServe(t, "--api-token-file", tokFile)

	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/", "", 200}, {"/healthz", "", 200}, {"/api/v1/languages", "", 401}, {"/api/v1/languages", "Bearer t0ken-t0ken-t0ken", 200},
	} {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if strings.HasPrefix(tc.path, "/api") && resp.StatusCode != 200 {
			json.NewDecoder(resp.Body).Decode(&body)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s (auth %q): status %d, want %d (%v)", tc.path, tc.auth, resp.StatusCode, tc.want, body)
		}
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := waitExit(t, cmd, 30*time.Second, "serve after SIGTERM"); err != nil {
		t.Errorf("after SIGTERM: %v, want exit 0", err)
	}
}

// TestServeSentences: serve's first log line says the rate as --rate was written: "off", not
// the "-1/min" it is kept as; and requests to it get the local executor's sentences: a file
// named "." is refused as the work dir itself (not as climbing out of it), and a compile past
// its limit says the compiler, not the program, ran too long.
func TestServeSentences(t *testing.T) {
	srv := startServeLog(t, "--rate", "off")
	var line struct{ Rate string }
	if json.Unmarshal([]byte(srv.serving), &line) != nil || line.Rate != "off" {
		t.Errorf("serving line %s: rate %q, want \"off\"", srv.serving, line.Rate)
	}
	base := srv.base

	resp, err := http.Post(base+"/api/v1/run", "application/json", strings.NewReader(`{"language":"python","files":[{"name":".","content":"print(1)"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error, Field string }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 400 || body.Field != "files[0].name" || !strings.Contains(body.Error, "names the work dir itself") {
		t.Errorf("a file named \".\": %d %+v; want 400 naming files[0].name as the work dir itself", resp.StatusCode, body)
	}

	// A source no earlier run compiled (the compile cache would skip the compile), and a wall
	// clock of 1 ms no compiler meets.
	src := fmt.Sprintf("/* %s %d */\nint main(void) { return 0; }\n", t.Name(), time.Now().UnixNano())
	req, _ := json.Marshal(map[string]any{"language": "c", "source": src, "compile_limits": map[string]int{"wall_time_ms": 1}})
	resp, err = http.Post(base+"/api/v1/run", "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Status, Message string
		Compile         *struct{ Status, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if res.Status != "compile_error" || res.Compile == nil || res.Compile.Status != "time_limit" ||
		!strings.HasPrefix(res.Compile.Message, "the compiler ran longer than its wall-clock limit") ||
		!strings.Contains(res.Message, "the compiler ran longer") {
		t.Errorf("a compile past its 1 ms wall clock: %d %+v (compile %+v); want compile_error, the compile stage's time_limit saying the compiler ran longer", resp.StatusCode, res, res.Compile)
	}
}
