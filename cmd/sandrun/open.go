package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/executor/sandbox"
)

var unenforcedOnce sync.Once

// noteUnenforced says once per process, on w, which limits this host cannot enforce the usual
// way (rootless, no usable cgroup) and what holds instead. It says nothing where every limit is
// enforced by a cgroup (root on a host with cgroups, as in CI).
func noteUnenforced(w io.Writer) {
	unenforcedOnce.Do(func() {
		notes := sandbox.Unenforced()
		if len(notes) == 0 {
			return
		}
		fmt.Fprintf(w, "sandrun: note: on this host the sandbox enforces some limits in a weaker way (\"sandrun doctor\" tells more):\n  - %s\n",
			strings.Join(notes, "\n  - "))
	})
}

// openExecutor returns the executor a front end should use (see remote.Open): spec "" or "local"
// is the sandbox on this machine; "tcp://host:port" is a remote executor. close releases it.
func openExecutor(ctx context.Context, spec, tokenFile, tlsCA string, insecure bool) (ex executor.Executor, close func() error, err error) {
	return openExecutorWith(ctx, spec, tokenFile, tlsCA, insecure, executor.LocalOptions{})
}

// insecurePlaintextUsage is the help of --insecure-plaintext, on every command that can reach
// a remote executor.
const insecurePlaintextUsage = "send the token over plain TCP to an executor off this machine (anyone on the network path could read it); default: refuse, use TLS (--tls-ca)"

// openExecutorWith is openExecutor with the options of a local executor (compile cache, pool).
func openExecutorWith(ctx context.Context, spec, tokenFile, tlsCA string, insecure bool, local executor.LocalOptions) (ex executor.Executor, close func() error, err error) {
	if (spec == "" || spec == "local") && tokenFile == "" && tlsCA == "" {
		l, err := executor.NewLocal(local)
		if err != nil {
			return nil, nil, err
		}
		noteUnenforced(os.Stderr)
		return l, l.Close, nil
	}
	ex, closer, err := remote.Open(ctx, spec, tokenFile, tlsCA, remote.OpenOptions{InsecurePlaintext: insecure})
	var se *remote.SpecError
	if errors.As(err, &se) {
		return nil, nil, usageError("%s", se.Msg)
	}
	if err != nil {
		return nil, nil, err
	}
	return ex, closer.Close, nil
}
