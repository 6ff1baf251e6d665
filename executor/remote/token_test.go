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
		{"ssh private key", write("key", sshKey, 0o600), "", "more than one line"},
		{"too big", write("big", strings.Repeat("a", 2000), 0o600), "", "more than a token"},
		{"short", write("short", "t0ken\n", 0o600), "", "at least 16"},
		{"empty", write("empty", "\n", 0o600), "", "is empty"},
		{"binary", write("bin", "abcdefghijklmnop\x00qrs", 0o600), "", "not printable"},
		{"non-ASCII", write("utf8", "abcdefghijklmnopé", 0o600), "", "not printable"},
		{"directory", dir, "", "not a regular file (it is a directory)"},
		{"FIFO", fifo, "", "not a regular file (it is a named pipe)"},
		{"/dev/zero", "/dev/zero", "", "not a regular file (it is a character device)"},
	} {
		check(t, tt.name, tt.path, tt.want, tt.err)
	}
}

// TestReadTokenRefusesCredentials: another program's credential file is not a token, even one
// line kept chmod 600: refused by its path (or the path it links to) before it is opened, or by
// its content's shape, with a sentence that names which; a token of its own still reads.
func TestReadTokenRefusesCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5Cg=="
	gitCred := "https://alice:ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com\n"
	link := filepath.Join(dir, "innocent")
	if err := os.Symlink(write("home/.git-credentials", gitCred), link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, want, err string
	}{
		{"git credentials", write("gc/.git-credentials", gitCred), "", "well-known credential file (.git-credentials)"},
		{"netrc", write("n/.netrc", "machine example.com login alice password s3cretpassword0"), "", "(.netrc)"},
		{"ssh key by name", write("s/id_ed25519", good), "", "(id_ed25519)"},
		{"in .ssh", write("h/.ssh/token", good), "", "in .ssh"},
		{"aws", write("h/.aws/credentials", good), "", "credential file (credentials)"},
		{"docker", write("h/.docker/config.json", good), "", "in .docker"},
		{"gh", write("h/.config/gh/hosts.yml", good), "", "in .config/gh"},
		{"pem", write("k/server.pem", good), "", "(.pem)"},
		{"a link to git credentials", link, "", "a link to a well-known credential file"},
		{"URL with user and password", write("u/tok", gitCred), "", "a URL with a user name or password"},
		{"netrc line", write("u/tok2", "machine example.com login alice password s3cretpassword0"), "", ".netrc entry"},
		{"pgpass line", write("u/tok3", "db.example.com:5432:prod:alice:s3cretpassword0"), "", ".pgpass entry"},
		{"JSON", write("u/tok4", `{"auths":{"x":{"auth":"YWxpY2U6czNjcmV0"}}}`), "", "JSON or INI"},
		{"INI", write("u/tok5", "[default] aws_secret_access_key=abcdefghijklmnop"), "", "JSON or INI"},
		{"setting", write("u/tok6", "aws_secret_access_key = abcdefghijklmnopqrstuvwxyz"), "", "NAME=VALUE"},
		{"npmrc line", write("u/tok7", "//registry.npmjs.org/:_authToken=npm_0123456789abcdefghij"), "", ".npmrc auth"},
		{"GitHub token", write("u/tok8", "ghp_0123456789abcdefghijABCDEFGHIJ012345"), "", "another service"},
		{"OpenSSH public key", write("u/tok9", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZlcHpl alice@host"), "", "an SSH key"},
		{"a token of its own", write("h/.config/sandrun/token", good+"\n"), good, ""},
		{"hex token", write("t/hex", "0123456789abcdef0123456789abcdef\n"), "0123456789abcdef0123456789abcdef", ""},
		{"YAML setting", write("u/tok10", "api_key: abcdefghijklmnopqrstuvwxyz"), "", "NAME=VALUE"},
		{"token with a colon", write("t/colon", "sandrun:0123456789abcdef\n"), "sandrun:0123456789abcdef", ""},
		{"base64url token", write("t/url", "AbC-dEf_gHi-jKl_mNo-pQr_sTu"), "AbC-dEf_gHi-jKl_mNo-pQr_sTu", ""},
	} {
		check(t, tt.name, tt.path, tt.want, tt.err)
	}
}

// check runs ReadToken(path) (a hang fails the test) and compares with want or an error that
// contains errPart, never the file's content.
func check(t *testing.T, name, path, want, errPart string) {
	t.Run(name, func(t *testing.T) {
		type answer struct {
			tok string
			err error
		}
		done := make(chan answer, 1)
		go func() { tok, err := ReadToken(path); done <- answer{tok, err} }()
		var a answer
		select {
		case a = <-done:
		case <-time.After(time.Minute):
			t.Fatalf("ReadToken(%s) hangs", path)
		}
		if errPart == "" {
			if a.err != nil || a.tok != want {
				t.Errorf("ReadToken = %q, %v; want %q", a.tok, a.err, want)
			}
			return
		}
		if a.err == nil || !strings.Contains(a.err.Error(), errPart) || a.tok != "" {
			t.Errorf("ReadToken = %q, %v; want an error containing %q", a.tok, a.err, errPart)
		}
		if a.err != nil && (strings.Contains(a.err.Error(), "BEGIN") || strings.Contains(a.err.Error(), "s3cret") || strings.Contains(a.err.Error(), "ghp_")) {
			t.Errorf("the error repeats the file's content: %v", a.err)
		}
	})
}
