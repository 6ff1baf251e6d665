package remote

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/internal/testcert"
)

func TestTLS(t *testing.T) {
	caFile, certFile, keyFile := testcert.Write(t, t.TempDir())
	otherCA, _, _ := testcert.Write(t, t.TempDir())
	cfg, err := ServerTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := startServer(t, newFake(2, 2), ServerOptions{TLS: cfg})
	plainAddr, _ := startServer(t, newFake(2, 2), ServerOptions{})

	t.Run("trusted CA", func(t *testing.T) {
		c := dial(t, addr, Options{TLSCA: caFile})
		res, err := c.Run(context.Background(), script("out over tls"), nil)
		if err != nil || res.Stdout != "over tls\n" {
			t.Fatalf("run over TLS: %q, %v", res.Stdout, err)
		}
	})
	for _, tt := range []struct {
		name, addr string
		opts       Options
		want       string
	}{
		{"other CA", addr, Options{TLSCA: otherCA}, "certificate signed by unknown authority"},
		{"plain client to a TLS executor", addr, Options{}, "pass --tls-ca"},
		{"TLS client to a plain executor", plainAddr, Options{TLSCA: caFile}, "TLS handshake"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Token = testToken
			tt.opts.DialTimeout = 2 * time.Minute // a hang only: each failure is the peer's answer
			_, err := Dial(context.Background(), tt.addr, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Dial: got %v, want an error containing %q", err, tt.want)
			}
			t.Logf("Dial: %v", err)
		})
	}
	t.Run("bad files", func(t *testing.T) {
		if _, err := ServerTLS(certFile, ""); err == nil {
			t.Error("ServerTLS without a key: no error")
		}
		if _, err := ClientTLS(keyFile, "x"); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Errorf("ClientTLS with a key as CA: %v", err)
		}
	})
}
