package main

import (
	"context"
	"errors"
	"os"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/spec"
)

// openExecutor returns the executor s names (see spec.Open), with the weak-limits note on stderr
// when it is local. A spec that does not fit is a usage error. close releases the executor.
func openExecutor(ctx context.Context, s string, opts spec.Options) (ex executor.Executor, close func() error, err error) {
	if opts.Notes == nil {
		opts.Notes = os.Stderr
	}
	ex, closer, err := spec.Open(ctx, s, opts)
	if err != nil {
		return nil, nil, specUsage(err)
	}
	return ex, closer.Close, nil
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
const insecurePlaintextUsage = "send the token over plain TCP to an executor off this machine (anyone on the network path could read it); default: refuse, use TLS (--tls-ca)"
