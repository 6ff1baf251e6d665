package main

import (
	"flag"

	"github.com/sandrun/sandrun/executor/fleet"
)

// natsFlags are how a command reaches a fleet's NATS servers (see docs/fleet.md).
type natsFlags struct {
	creds, tokenFile, tlsCA, tlsCert, tlsKey string
}

func (n *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (user JWT and seed) for a fleet")
	fs.StringVar(&n.tokenFile, "nats-token-file", "", "file holding the NATS token of a fleet")
	fs.StringVar(&n.tlsCA, "nats-tls-ca", "", "CA certificate (PEM) to verify the fleet's NATS servers over TLS")
	fs.StringVar(&n.tlsCert, "nats-tls-cert", "", "client certificate (PEM) for NATS, with --nats-tls-key; on serve --nats-listen, the embedded server's certificate (it then takes TLS only)")
	fs.StringVar(&n.tlsKey, "nats-tls-key", "", "the key (PEM) of --nats-tls-cert")
}

// set reports whether any NATS flag was given.
func (n *natsFlags) set() bool {
	return n.creds != "" || n.tokenFile != "" || n.tlsCA != "" || n.tlsCert != "" || n.tlsKey != ""
}

// conn returns the connection options for url.
func (n *natsFlags) conn(url, name string) fleet.ConnOptions {
	return fleet.ConnOptions{URL: url, CredsFile: n.creds, TokenFile: n.tokenFile, TLSCA: n.tlsCA, TLSCert: n.tlsCert, TLSKey: n.tlsKey, Name: name}
}
