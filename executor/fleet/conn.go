package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sandrun/sandrun/executor/remote"
)

// ErrUnreachable is wrapped by the errors returned when no NATS server of the fleet answers.
var ErrUnreachable = errors.New("NATS unreachable")

// unreachableError is Dial's or NewWorker's failure to reach any server at url: one sentence
// naming the address and the cause, that wraps ErrUnreachable and the NATS error.
type unreachableError struct {
	url   string
	cause error
}

func (e *unreachableError) Error() string {
	why := strings.TrimPrefix(e.cause.Error(), "nats: ")
	switch {
	case errors.Is(e.cause, nats.ErrNoServers):
		why = "no server answered (is one running there?)"
	case errors.Is(e.cause, nats.ErrAuthorization), strings.Contains(strings.ToLower(why), "authorization"):
		return fmt.Sprintf("NATS at %s refused this connection's credentials (%s); check --nats-token-file or --nats-creds", e.url, why)
	}
	return fmt.Sprintf("cannot reach NATS at %s: %s", e.url, why)
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.cause} }

// ConnOptions say how to reach the fleet's NATS servers. Auth and transport are NATS's own.
type ConnOptions struct {
	// URL is one or more servers, comma-separated: "nats://a:4222,nats://b:4222".
	URL string
	// CredsFile is a NATS credentials file (user JWT and NKey seed).
	CredsFile string
	// TokenFile holds a token (surrounding white space ignored).
	TokenFile string
	// TLSCA names a PEM file of CA certificates: TLS is required and the server verified.
	// TLSCert and TLSKey, when both set, are the client certificate.
	TLSCA, TLSCert, TLSKey string
	// Name is the connection's name in the server's monitoring.
	Name string
	// ConnectTimeout bounds the first connection; default 3s.
	ConnectTimeout time.Duration
	// QueueMax bounds the job stream when this connection creates it; default DefaultQueueMax.
	QueueMax int
	// Replicas of the stream and buckets when this connection creates them; 0 means 3 when
	// the server is part of a cluster of 3 or more, else 1.
	Replicas int
	// InsecurePlaintext lets a token or credentials go over plain TCP to a NATS server off
	// this machine (see CheckPlaintext). Front ends take it from their own command line.
	InsecurePlaintext bool

	inProcess *server.Server // set by Embedded.Local: connect within this process
}

// CheckPlaintext refuses what the TCP executor's client refuses too: a token (or credentials)
// sent in the clear to a server off this machine, where anyone on the network path could read
// it and run code on the fleet. TLS (tls:// URLs, --nats-tls-ca or a client certificate), a
// loopback host (127.0.0.0/8, ::1, localhost), an in-process connection or InsecurePlaintext
// lets it through. Dial and NewWorker check it before they connect.
func (o ConnOptions) CheckPlaintext() error {
	if o.TokenFile == "" && o.CredsFile == "" || o.inProcess != nil || o.InsecurePlaintext || o.TLSCA != "" || o.TLSCert != "" {
		return nil
	}
	for _, u := range strings.Split(o.URL, ",") {
		u = strings.TrimSpace(u)
		if u == "" || strings.HasPrefix(u, "tls://") {
			continue
		}
		host, _, _ := net.SplitHostPort(strings.TrimPrefix(u, "nats://"))
		if !isLoopback(host) {
			return fmt.Errorf("fleet: refusing to send the NATS token or credentials to %s over plain TCP: anyone on the network path could read them and run code on the fleet; give the NATS server a certificate (sandrun serve --nats-tls-cert/--nats-tls-key) and pass --nats-tls-ca here (or a tls:// URL), or pass --insecure-plaintext if this network is trusted", u)
		}
	}
	return nil
}

// isLoopback reports whether host is "localhost" or a loopback IP address. Other names are not
// resolved: what they resolve to may change.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckURL reports whether u names a fleet's NATS servers: nats:// (or tls://) HOST:PORT URLs,
// comma-separated.
func CheckURL(u string) error {
	_, err := parseURL(u)
	return err
}

// parseURL checks a fleet address: nats:// or tls:// URLs, comma-separated.
func parseURL(u string) (string, error) {
	var out []string
	for _, s := range strings.Split(u, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		hp := strings.TrimPrefix(strings.TrimPrefix(s, "nats://"), "tls://")
		host, port, err := net.SplitHostPort(hp)
		if hp == s || err != nil || host == "" || port == "" || strings.Contains(hp, "/") {
			return "", fmt.Errorf("fleet: address %q: want nats://HOST:PORT[,nats://HOST:PORT…], e.g. nats://127.0.0.1:4222", u)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "", fmt.Errorf("fleet: address %q: want nats://HOST:PORT, e.g. nats://127.0.0.1:4222", u)
	}
	return strings.Join(out, ","), nil
}

// natsOptions turns ConnOptions into nats.go options (auth, TLS, name).
func (o ConnOptions) natsOptions() ([]nats.Option, error) {
	opts := []nats.Option{nats.Name(o.Name)}
	if o.inProcess != nil {
		opts = append(opts, nats.InProcessServer(o.inProcess))
	}
	if o.CredsFile != "" {
		if _, err := os.Stat(o.CredsFile); err != nil {
			return nil, fmt.Errorf("fleet: credentials file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.TokenFile != "" {
		tok, err := remote.ReadToken(o.TokenFile) // the same token rules as every front end's
		if err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		opts = append(opts, nats.Token(tok))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("fleet: a client certificate needs both --nats-tls-cert and --nats-tls-key")
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	return opts, nil
}

// setup holds the JetStream handles both sides use.
type setup struct {
	js      jetstream.JetStream
	stream  jetstream.Stream
	results jetstream.KeyValue
	workers jetstream.KeyValue
	blobs   jetstream.ObjectStore
}

// ensure finds or creates the job stream and the buckets. It never changes an existing one,
// so the first creator's bounds hold until an operator changes them with the nats CLI.
func ensure(ctx context.Context, nc *nats.Conn, o ConnOptions) (*setup, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	replicas := replicasOf(nc, o)
	qmax := o.QueueMax
	if qmax <= 0 {
		qmax = DefaultQueueMax
	}
	s := &setup{js: js}
	s.stream, err = js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s.stream, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        StreamName,
			Description: "sandrun jobs waiting for a worker (docs/fleet.md)",
			Subjects:    []string{subjectJobs + ">"},
			Retention:   jetstream.WorkQueuePolicy,
			MaxMsgs:     int64(qmax),
			Discard:     jetstream.DiscardNew,
			Duplicates:  DedupeWindow,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s.stream, err = js.Stream(ctx, StreamName)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: job stream: %w", err)
	}
	if s.results, err = ensureKV(ctx, js, jetstream.KeyValueConfig{Bucket: ResultsBucket, TTL: ResultTTL, Replicas: replicas, Storage: jetstream.FileStorage}); err != nil {
		return nil, err
	}
	if s.workers, err = ensureKV(ctx, js, jetstream.KeyValueConfig{Bucket: WorkersBucket, TTL: workerTTL, Replicas: replicas, Storage: jetstream.MemoryStorage}); err != nil {
		return nil, err
	}
	s.blobs, err = js.ObjectStore(ctx, BlobsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		s.blobs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: BlobsBucket, TTL: ResultTTL, Replicas: replicas, Storage: jetstream.FileStorage})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s.blobs, err = js.ObjectStore(ctx, BlobsBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", BlobsBucket, err)
	}
	return s, nil
}

// replicasOf is how many replicas the streams and buckets this connection creates get.
func replicasOf(nc *nats.Conn, o ConnOptions) int {
	if o.Replicas > 0 {
		return o.Replicas
	}
	if len(nc.Servers()) >= 3 {
		return 3
	}
	return 1
}

func ensureKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}
