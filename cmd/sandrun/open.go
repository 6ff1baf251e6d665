package main

import (
	"context"
	"errors"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/remote"
)

// openExecutor returns the executor a front end should use (see remote.Open): spec "" or "local"
// is the sandbox on this machine; "tcp://host:port" is a remote executor. close releases it.
func openExecutor(ctx context.Context, spec, tokenFile, tlsCA string) (ex executor.Executor, close func() error, err error) {
	ex, closer, err := remote.Open(ctx, spec, tokenFile, tlsCA)
	var se *remote.SpecError
	if errors.As(err, &se) {
		return nil, nil, usageError("%s", se.Msg)
	}
	if err != nil {
		return nil, nil, err
	}
	return ex, closer.Close, nil
}
