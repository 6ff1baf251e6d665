package main

import "testing"

// TestJoinHint: the command serve logs for joining a worker names a host another machine can
// dial and the flags the embedded server's token and TLS ask for.
func TestJoinHint(t *testing.T) {
	for _, tt := range []struct {
		url  string
		nf   natsFlags
		want string
	}{
		{"nats://127.0.0.1:4222", natsFlags{}, "sandrun executor --nats nats://127.0.0.1:4222"},
		{"nats://0.0.0.0:4222", natsFlags{tokenFile: "/etc/t"}, "sandrun executor --nats nats://THIS-HOST:4222 --nats-token-file TOKEN-FILE"},
		{"tls://[::]:4222", natsFlags{tokenFile: "/etc/t", tlsCert: "c.pem", tlsKey: "k.pem"},
			"sandrun executor --nats tls://THIS-HOST:4222 --nats-token-file TOKEN-FILE --nats-tls-ca CA.pem"},
		{"tls://10.0.0.5:4222", natsFlags{tlsCert: "c.pem", tlsKey: "k.pem"}, "sandrun executor --nats tls://10.0.0.5:4222 --nats-tls-ca CA.pem"},
	} {
		if got := joinHint(tt.url, tt.nf); got != tt.want {
			t.Errorf("joinHint(%q, %+v) = %q, want %q", tt.url, tt.nf, got, tt.want)
		}
	}
}
