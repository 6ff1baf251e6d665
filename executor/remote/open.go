package remote

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sandrun/sandrun/executor"
)

// SpecError says what is wrong with how Open was called: front ends show it as a usage error.
type SpecError struct{ Msg string }

func (e *SpecError) Error() string { return e.Msg }

// Open returns the executor a front end asked for, and what to close when done with it:
//   - spec "" or "local": the sandbox on this machine (executor.NewLocal with default options);
//   - spec "tcp://HOST:PORT": a Client connected and authenticated to `sandrun executor` there,
//     with the token read from tokenFile and, when tlsCA names a PEM CA file, over TLS.
//
// tokenFile and tlsCA apply only to tcp://; giving them with a local executor is an error, so
// that a forgotten --executor does not silently run on this machine.
//
// The zero OpenOptions are the safe defaults.
func Open(ctx context.Context, spec, tokenFile, tlsCA string, oo ...OpenOptions) (executor.Executor, io.Closer, error) {
	var o OpenOptions
	if len(oo) > 0 {
		o = oo[0]
	}
	switch {
	case spec == "" || spec == "local":
		if tokenFile != "" || tlsCA != "" {
			return nil, nil, &SpecError{"--token-file and --tls-ca apply only to --executor tcp://HOST:PORT"}
		}
		l, err := executor.NewLocal(executor.LocalOptions{})
		if err != nil {
			return nil, nil, err
		}
		return l, l, nil
	case strings.HasPrefix(spec, "tcp://"):
		if _, err := parseAddr(spec); err != nil {
			return nil, nil, &SpecError{fmt.Sprintf("--executor %q: want tcp://HOST:PORT, e.g. tcp://127.0.0.1:7070", spec)}
		}
		c, err := Dial(ctx, spec, Options{TokenFile: tokenFile, TLSCA: tlsCA, InsecurePlaintext: o.InsecurePlaintext})
		if err != nil {
			return nil, nil, err
		}
		return c, c, nil
	}
	return nil, nil, &SpecError{fmt.Sprintf("--executor %q: use \"local\" or tcp://HOST:PORT", spec)}
}

// OpenOptions are the rarely used choices of Open.
type OpenOptions struct {
	// InsecurePlaintext lets a token go over plain TCP to an executor off this machine (see
	// Options.InsecurePlaintext).
	InsecurePlaintext bool
}
