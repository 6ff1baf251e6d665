package fleet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sandrun/sandrun/executor/remote"
)

// EmbeddedOptions shape the NATS server that `sandrun serve --nats-listen` starts.
type EmbeddedOptions struct {
	Listen    string // HOST:PORT for clients and workers
	StoreDir  string // JetStream store; default DefaultStoreDir()
	TokenFile string // when set, clients and workers must present this token
	// TLSCert and TLSKey, both set, are the server's certificate and key (PEM): clients and
	// workers must then connect over TLS (a tls:// URL or --nats-tls-ca).
	TLSCert, TLSKey string
	// MaxPayload is the largest message; default 8 MiB (larger Results go to the blob store).
	MaxPayload int32
}

// Embedded is a NATS server with JetStream running inside this process.
type Embedded struct {
	srv *server.Server
	url string
}

// DefaultStoreDir is the JetStream store of an embedded server: $XDG_STATE_HOME/sandrun/nats,
// else ~/.local/state/sandrun/nats.
func DefaultStoreDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "sandrun", "nats"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("fleet: no state directory for the NATS store (%v); pass --nats-store DIR", err)
	}
	return filepath.Join(home, ".local", "state", "sandrun", "nats"), nil
}

// StartEmbedded starts the server and waits until it takes connections.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	host, portStr, err := net.SplitHostPort(opts.Listen)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("fleet: --nats-listen %q: want HOST:PORT, e.g. 127.0.0.1:4222", opts.Listen)
	}
	if opts.StoreDir == "" {
		if opts.StoreDir, err = DefaultStoreDir(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(opts.StoreDir, 0o700); err != nil {
		return nil, fmt.Errorf("fleet: NATS store: %w", err)
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = 8 << 20
	}
	nport := port
	if port == 0 {
		nport = server.RANDOM_PORT // NATS takes 0 for its default port, 4222
	}
	sopts := &server.Options{
		ServerName: "sandrun", Host: host, Port: nport, JetStream: true, StoreDir: opts.StoreDir,
		MaxPayload: opts.MaxPayload, NoSigs: true, NoLog: true,
	}
	if opts.TokenFile != "" {
		if sopts.Authorization, err = remote.ReadToken(opts.TokenFile); err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
	}
	if opts.TLSCert != "" || opts.TLSKey != "" {
		if opts.TLSCert == "" || opts.TLSKey == "" {
			return nil, errors.New("fleet: the NATS server's TLS needs both --nats-tls-cert and --nats-tls-key (PEM files)")
		}
		if sopts.TLSConfig, err = remote.ServerTLS(opts.TLSCert, opts.TLSKey); err != nil {
			return nil, fmt.Errorf("fleet: NATS server: %w", err)
		}
		sopts.TLS, sopts.TLSTimeout = true, 5
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("fleet: NATS server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("fleet: the embedded NATS server did not start within 30s (is " + opts.Listen + " free?)")
	}
	u := srv.ClientURL()
	if a, ok := srv.Addr().(*net.TCPAddr); ok {
		scheme := "nats://"
		if sopts.TLSConfig != nil {
			scheme = "tls://"
		}
		u = scheme + net.JoinHostPort(host, strconv.Itoa(a.Port))
	}
	return &Embedded{srv: srv, url: u}, nil
}

// URL is where clients and workers reach the server: nats://HOST:PORT, or tls://HOST:PORT when
// it has a certificate.
func (e *Embedded) URL() string { return e.url }

// Local returns o (its auth) made to reach the server within this process, as the client and
// worker of `serve --nats-listen` do: no network, so no TLS and no plaintext rule.
func (e *Embedded) Local(o ConnOptions) ConnOptions {
	o.URL, o.inProcess = "nats://"+strings.TrimPrefix(strings.TrimPrefix(e.url, "tls://"), "nats://"), e.srv
	o.TLSCA, o.TLSCert, o.TLSKey = "", "", ""
	return o
}

// Close stops the server.
func (e *Embedded) Close() error {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	return nil
}
