package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA writes a CA certificate and a server certificate for 127.0.0.1 signed by it into dir,
// and returns the paths of the CA, the server certificate and its key (all PEM).
func testCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		must(os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sandrun test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(err)
	ca, err = x509.ParseCertificate(caDER)
	must(err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sandrun executor"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	must(err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(err)
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", leafDER), write("key.pem", "EC PRIVATE KEY", keyDER)
}

func TestTLS(t *testing.T) {
	caFile, certFile, keyFile := testCA(t, t.TempDir())
	otherCA, _, _ := testCA(t, t.TempDir())
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
			tt.opts.DialTimeout = 2 * time.Second
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
