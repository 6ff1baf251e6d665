package remote

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadToken: a token file is a token. A private key, a device, a FIFO, a file others can
// read: each is refused with one sentence naming the rule, and nothing hangs.
func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	good := "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5Cg=="
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(write("target", good+"\n", 0o600), link)
	sshKey := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBmZXBzZXBzZXBzZXBzZXBzZXBzZXBzZXBzZXBzZXBzZXBzZXAAAAA=\n-----END OPENSSH PRIVATE KEY-----\n"
	for _, tt := range []struct {
		name, path, want, err string
	}{
		{"good", write("good", good+"\n", 0o600), good, ""},
		{"good, CRLF and spaces", write("crlf", "  "+good+"\r\n", 0o400), good, ""},
		{"symlink to a good file", link, good, ""},
		{"missing", filepath.Join(dir, "nope"), "", "does not exist"},
		{"readable by others", write("open", good, 0o644), "", "can be read by other users"},
		{"readable by group", write("group", good, 0o640), "", "chmod 600"},
		{"ssh private key", write("id_ed25519", sshKey, 0o600), "", "more than one line"},
		{"too big", write("big", strings.Repeat("a", 2000), 0o600), "", "more than a token"},
		{"short", write("short", "t0ken\n", 0o600), "", "at least 16"},
		{"empty", write("empty", "\n", 0o600), "", "is empty"},
		{"binary", write("bin", "abcdefghijklmnop\x00qrs", 0o600), "", "not printable"},
		{"non-ASCII", write("utf8", "abcdefghijklmnopé", 0o600), "", "not printable"},
		{"directory", dir, "", "not a regular file (it is a directory)"},
		{"FIFO", fifo, "", "not a regular file (it is a named pipe)"},
		{"/dev/zero", "/dev/zero", "", "not a regular file (it is a character device)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			type answer struct {
				tok string
				err error
			}
			done := make(chan answer, 1)
			go func() { tok, err := ReadToken(tt.path); done <- answer{tok, err} }()
			var a answer
			select {
			case a = <-done:
			case <-time.After(time.Minute):
				t.Fatalf("ReadToken(%s) hangs", tt.path)
			}
			if tt.err == "" {
				if a.err != nil || a.tok != tt.want {
					t.Errorf("ReadToken = %q, %v; want %q", a.tok, a.err, tt.want)
				}
				return
			}
			if a.err == nil || !strings.Contains(a.err.Error(), tt.err) || a.tok != "" {
				t.Errorf("ReadToken = %q, %v; want an error containing %q", a.tok, a.err, tt.err)
			}
			if a.err != nil && strings.Contains(a.err.Error(), "BEGIN") {
				t.Errorf("the error repeats the file's content: %v", a.err)
			}
		})
	}
}
