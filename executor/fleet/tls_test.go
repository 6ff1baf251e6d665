package fleet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/internal/testcert"
)

// testCA writes a CA, and a server certificate for 127.0.0.1 it signed, into dir.
func testCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	return testcert.Write(t, dir)
}

// TestEmbeddedTLS: an embedded server with a certificate takes clients and workers over TLS
// only; the process that embeds it connects within itself.
func TestEmbeddedTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := testCA(t, dir)
	tok := filepath.Join(dir, "nats.tok")
	if err := os.WriteFile(tok, []byte("s3cret-token-of-the-fleet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := StartEmbedded(EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir(), TokenFile: tok, TLSCert: certFile, TLSKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "tls://127.0.0.1:") {
		t.Errorf("URL %q; want tls://", srv.URL())
	}
	secure := ConnOptions{URL: srv.URL(), TokenFile: tok, TLSCA: caFile}
	startWorkerWith(t, WorkerOptions{Conn: secure, Executor: newFake("w", "python"), Slots: 1})
	c, err := Dial(context.Background(), ClientOptions{Conn: secure})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitLive(t, c, 1)
	if res := runOK(t, c, script("python", "out over tls")); res.Stdout != "over tls\n" {
		t.Errorf("stdout %q", res.Stdout)
	}

	local, err := Dial(context.Background(), ClientOptions{Conn: srv.Local(ConnOptions{TokenFile: tok})})
	if err != nil {
		t.Fatalf("in-process connection: %v", err)
	}
	defer local.Close()
	waitLive(t, local, 1)
	runOK(t, local, script("python", "out in process"))

	plain := "nats://" + strings.TrimPrefix(srv.URL(), "tls://")
	otherCA, _, _ := testCA(t, t.TempDir())
	for name, o := range map[string]ConnOptions{
		"plain":        {URL: plain, TokenFile: tok},
		"untrusted CA": {URL: srv.URL(), TokenFile: tok, TLSCA: otherCA},
		"no token":     {URL: srv.URL(), TLSCA: caFile},
	} {
		o.ConnectTimeout = 5 * time.Second
		if c, err := Dial(context.Background(), ClientOptions{Conn: o}); err == nil {
			c.Close()
			t.Errorf("%s: Dial succeeded", name)
		}
	}
	if _, err := StartEmbedded(EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir(), TLSCert: certFile}); err == nil || !strings.Contains(err.Error(), "--nats-tls-key") {
		t.Errorf("a certificate without its key: %v", err)
	}
}

// TestPlaintextToken: a token or credentials go over plain TCP only to this machine; anything
// else is refused before any dial.
func TestPlaintextToken(t *testing.T) {
	tok := filepath.Join(t.TempDir(), "nats.tok")
	if err := os.WriteFile(tok, []byte("s3cret-token-of-the-fleet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		o      ConnOptions
		refuse bool
	}{
		{ConnOptions{URL: "nats://192.0.2.7:4222", TokenFile: tok}, true},
		{ConnOptions{URL: "nats://127.0.0.1:4222,nats://nats.example:4222", TokenFile: tok}, true},
		{ConnOptions{URL: "nats://192.0.2.7:4222", CredsFile: tok}, true},
		{ConnOptions{URL: "nats://[::1]:4222", TokenFile: tok}, false},
		{ConnOptions{URL: "nats://localhost:4222,nats://127.0.0.2:4222", TokenFile: tok}, false},
		{ConnOptions{URL: "tls://192.0.2.7:4222", TokenFile: tok}, false},
		{ConnOptions{URL: "nats://192.0.2.7:4222", TokenFile: tok, TLSCA: tok}, false},
		{ConnOptions{URL: "nats://192.0.2.7:4222", TokenFile: tok, InsecurePlaintext: true}, false},
		{ConnOptions{URL: "nats://192.0.2.7:4222"}, false}, // no secret to leak
	} {
		err := tt.o.CheckPlaintext()
		if (err != nil) != tt.refuse || err != nil && !strings.Contains(err.Error(), "--insecure-plaintext") {
			t.Errorf("%+v: %v; want refused=%v", tt.o, err, tt.refuse)
		}
	}
	bad := ConnOptions{URL: "nats://192.0.2.7:4222", TokenFile: tok}
	if _, err := Dial(context.Background(), ClientOptions{Conn: bad}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("Dial: %v; want refused", err)
	}
	if _, err := NewWorker(context.Background(), WorkerOptions{Conn: bad, Executor: newFake("w", "python")}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("NewWorker: %v; want refused", err)
	}
}
