package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"strings"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/executor/spec"
)

// executorFlags are how a client command (run, watch, languages, serve, lsp) names its executor
// and reaches it: --executor, --token-file, --tls-ca, --insecure-plaintext and the --nats-*
// flags. Every command declares them here, with the same help, so that they mean the same
// everywhere.
type executorFlags struct {
	spec, tokenFile, tlsCA string
	insecure               bool
	nats                   natsFlags
}

func (f *executorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.spec, "executor", "local", "where to run: local, tcp://HOST:PORT, or a fleet at nats://HOST:PORT[,…]")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the remote executor's token (with nats://, the NATS token)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "CA certificate (PEM) to verify a TLS remote executor (or NATS server)")
	f.nats.register(fs)
	fs.BoolVar(&f.insecure, "insecure-plaintext", false, insecurePlaintextUsage)
}

// options returns the spec.Options the flags ask for; name is the client's name on NATS. The
// --nats-* flags without a nats:// executor are a usage error, so that they are not silently
// ignored.
func (f *executorFlags) options(name string) (spec.Options, error) {
	if f.nats.set() && !strings.HasPrefix(f.spec, "nats://") && !strings.HasPrefix(f.spec, "tls://") {
		return spec.Options{}, usageError("the --nats-* flags go with --executor nats://HOST:PORT")
	}
	return spec.Options{TokenFile: f.tokenFile, TLSCA: f.tlsCA, InsecurePlaintext: f.insecure, NATS: f.nats.conn("", name)}, nil
}

// openExecutor returns the executor s names (see spec.Open), with the weak-limits note on stderr
// when it is local. A spec that does not fit is a usage error. close releases the executor.
func openExecutor(ctx context.Context, s string, opts spec.Options) (ex executor.Executor, close func() error, err error) {
	if err := checkClientFiles(s, opts); err != nil {
		return nil, nil, err
	}
	if opts.Notes == nil {
		opts.Notes = os.Stderr
	}
	ex, closer, err := spec.Open(ctx, s, opts)
	if err != nil {
		return nil, nil, specUsage(err)
	}
	return ex, closer.Close, nil
}

// checkClientFiles reads --token-file and --tls-ca before anything is dialled: a file that is
// missing or is not a token (or a CA) is a mistake in the command's inputs (exit 2, as serve
// and executor treat their own token files), not a failure to reach the executor.
func checkClientFiles(s string, opts spec.Options) error {
	if spec.IsLocal(s) {
		return nil // spec.Open refuses these flags without a remote executor
	}
	if opts.TokenFile != "" {
		if _, err := remote.ReadToken(opts.TokenFile); err != nil {
			return usageError("--token-file: %v", err)
		}
	}
	if opts.TLSCA != "" {
		if _, err := remote.ClientTLS(opts.TLSCA, "localhost"); err != nil {
			return usageError("--tls-ca: %s", strings.TrimPrefix(err.Error(), "remote: "))
		}
	}
	return nil
}

// specUsage turns a *spec.Error into a usage error (exit 2); other errors pass through.
func specUsage(err error) error {
	var se *spec.Error
	if errors.As(err, &se) {
		return usageError("%s", se.Msg)
	}
	return err
}

// insecurePlaintextUsage is the help of --insecure-plaintext, on every command that can reach
// a remote executor.
const insecurePlaintextUsage = "send the token over plain TCP to an executor or a NATS server off this machine (anyone on the network path could read it); default: refuse, use TLS (--tls-ca, --nats-tls-ca)"
