package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveProc is a `sandrun serve` a test started (startServeLog): its base URL, its "serving"
// log line, and every log line (JSON), read as they come so that serve never blocks on them.
type serveProc struct {
	cmd     *exec.Cmd
	base    string
	serving string

	mu     sync.Mutex
	lines  []string
	ended  bool
	more   chan struct{} // a token after each line read (and at the end)
	cursor int           // next reads from here
}

var servingURL = regexp.MustCompile(`"url":"(http://[^"]+)"`)

// startServeLog runs `sandrun serve` on a free loopback port with args, waits for its "serving"
// line and returns it; serve is killed when the test ends.
func startServeLog(t *testing.T, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &serveProc{cmd: cmd, more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			p.signal()
		}
		p.mu.Lock()
		p.ended = true
		p.mu.Unlock()
		p.signal()
	}()
	p.serving = p.next(t, `"msg":"serving"`)
	m := servingURL.FindStringSubmatch(p.serving)
	if m == nil {
		t.Fatalf("serve's serving line names no URL: %s", p.serving)
	}
	p.base = m[1]
	return p
}

func (p *serveProc) signal() {
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// next returns the first log line after the last one next returned that contains want; it
// fails the test when serve's log ends first (the bound of 2 minutes catches hangs only).
func (p *serveProc) next(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		p.mu.Lock()
		for ; p.cursor < len(p.lines); p.cursor++ {
			if l := p.lines[p.cursor]; strings.Contains(l, want) {
				p.cursor++
				p.mu.Unlock()
				return l
			}
		}
		ended := p.ended
		p.mu.Unlock()
		if ended {
			t.Fatalf("serve's log ended before a line with %q:\n%s", want, strings.Join(p.log(), "\n"))
		}
		select {
		case <-p.more:
		case <-timeout:
			t.Fatalf("no log line with %q in 2 minutes:\n%s", want, strings.Join(p.log(), "\n"))
		}
	}
}

// log is every line serve has logged so far.
func (p *serveProc) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// startServe is startServeLog for a test that needs only the base URL and the process.
func startServe(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	p := startServeLog(t, args...)
	return p.base, p.cmd
}
