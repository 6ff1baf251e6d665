package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/sandrun/sandrun/executor"
)

// openExecutor returns the executor a front end should use: spec "" or "local" is the sandbox on
// this machine; "tcp://host:port" is a remote executor. close releases it.
func openExecutor(ctx context.Context, spec, tokenFile, tlsCA string) (ex executor.Executor, close func() error, err error) {
	switch {
	case spec == "" || spec == "local":
		l, err := executor.NewLocal(executor.LocalOptions{})
		if err != nil {
			return nil, nil, err
		}
		return l, l.Close, nil
	case strings.HasPrefix(spec, "tcp://"):
		return nil, nil, fmt.Errorf("remote executors (%s) are not available in this build yet", spec)
	}
	return nil, nil, usageError("--executor %q: use \"local\" or tcp://HOST:PORT", spec)
}
