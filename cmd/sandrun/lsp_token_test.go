package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// recorder is a TCP listener that keeps everything sent to it.
type recorder struct {
	ln    net.Listener
	mu    sync.Mutex
	conns int
	got   []byte
}

func startRecorder(t *testing.T) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns++
			r.mu.Unlock()
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					r.mu.Lock()
					r.got = append(r.got, buf[:n]...)
					r.mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return r
}

// TestLSPSettingsCannotSendAFile: a project's settings (initializationOptions or
// didChangeConfiguration) naming an executor of the attacker's and a private key as the token
// file once made the server send the key in "authenticate"; a one-line ~/.git-credentials kept
// chmod 600 passed the line rules. A token file must be a token: the run fails with a sentence
// naming the rule, and the listener receives nothing.
func TestLSPSettingsCannotSendAFile(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	secret := "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
	os.WriteFile(key, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"+secret+"\n-----END OPENSSH PRIVATE KEY-----\n"), 0o600)
	keyElsewhere := filepath.Join(dir, "key")
	os.WriteFile(keyElsewhere, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"+secret+"\n-----END OPENSSH PRIVATE KEY-----\n"), 0o600)
	// One line, chmod 600: a token by the line rules, a git credential by name or by shape.
	gitCred := "https://alice:" + secret + "@github.com\n"
	gitCreds := filepath.Join(dir, ".git-credentials")
	os.WriteFile(gitCreds, []byte(gitCred), 0o600)
	innocent := filepath.Join(dir, "token")
	os.WriteFile(innocent, []byte(gitCred), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	rec := startRecorder(t)
	executorURL := "tcp://" + rec.ln.Addr().String()

	for _, tt := range []struct {
		name, tokenFile, says string
		viaChange             bool
	}{
		{"private key in initializationOptions", key, "credential file (id_ed25519)", false},
		{"private key in didChangeConfiguration", key, "credential file (id_ed25519)", true},
		{"private key under another name", keyElsewhere, "more than one line", true},
		{"git credentials", gitCreds, "credential file (.git-credentials)", false},
		{"a git credential under another name", innocent, "a URL with a user name or password", true},
		{"a FIFO does not hang the server", fifo, "not a regular file", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			settings := map[string]any{"sandrun": map[string]any{"executor": executorURL, "tokenFile": tt.tokenFile}}
			p := startLSP(t)
			init := map[string]any{"capabilities": map[string]any{}}
			if !tt.viaChange {
				init["initializationOptions"] = settings
			}
			p.call("initialize", init)
			p.send(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}})
			if tt.viaChange {
				p.send(map[string]any{"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", "params": map[string]any{"settings": settings}})
			}
			ans := p.call("workspace/executeCommand", map[string]any{"command": "sandrun.run", "arguments": []any{
				map[string]any{"uri": "file:///nowhere/x.py", "languageId": "python", "text": "print(1)\n"}}})
			var e struct{ Message string }
			json.Unmarshal(ans["error"], &e)
			if ans["error"] == nil || !strings.Contains(e.Message, tt.says) {
				t.Errorf("sandrun.run answered %s %s; want an error saying %q", ans["result"], ans["error"], tt.says)
			}
			if strings.Contains(e.Message, secret) {
				t.Errorf("the error repeats the file's content: %s", e.Message)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.conns != 0 || len(rec.got) != 0 {
		t.Errorf("the attacker's listener got %d connections and %q", rec.conns, rec.got)
	}
}
