// Package spec turns what a user names as an executor ("local", "tcp://HOST:PORT",
// "nats://HOST:PORT") and its
// options into an executor.Executor. It is the one place that decides which executor a front end
// gets: the CLI's run, watch, languages, serve and lsp commands all call Open, so that a new kind
// of executor is one more case here.
//
// It is not a transport (executor/remote) nor an executor (executor/local); it only composes them.
package spec

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/remote"
	"github.com/sandrun/sandrun/executor/sandbox"
)

// Error says what is wrong with a spec or with the options given with it: front ends show it as
// a usage error (the CLI exits 2).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Options go with a spec. The zero value opens the local executor with its defaults.
type Options struct {
	// TokenFile names the file holding a remote executor's token; TLSCA a PEM file of CA
	// certificates that turns TLS on. They apply to tcp:// only.
	TokenFile string
	TLSCA     string
	// IgnoreRemoteOptions makes Open ignore TokenFile and TLSCA for the local executor instead of
	// refusing them (the editor's settings may keep a token file while the executor is local).
	IgnoreRemoteOptions bool
	// NATS says how to reach a fleet (nats://): credentials, token, TLS, the stream's bound.
	// Its URL is the spec. For nats://, TokenFile and TLSCA, when set, are the NATS token and
	// CA unless NATS has its own.
	NATS fleet.ConnOptions
	// InsecurePlaintext lets a token go over plain TCP to an executor or a NATS server off this
	// machine (see remote.Options.InsecurePlaintext and fleet.ConnOptions.CheckPlaintext). Front ends take it from their own command line, never
	// from an editor's or a project's settings.
	InsecurePlaintext bool
	// Local configures the local executor (compile cache, pool, slots, caps).
	Local local.Options
	// Notes, when set, receives once per process the limits this host cannot enforce the usual
	// way, when the executor is local (see sandbox.Unenforced), and the local executor's log
	// unless Local.Log is set.
	Notes io.Writer
}

// Usage is the sentence that says which specs there are.
const Usage = `use "local", "tcp://HOST:PORT" or "nats://HOST:PORT[,nats://HOST:PORT…]"`

// Check reports whether s names an executor, without opening it: nil, or an *Error.
func Check(s string) error {
	switch {
	case s == "" || s == "local":
		return nil
	case strings.HasPrefix(s, "tcp://"):
		if err := remote.CheckAddr(s); err != nil {
			return &Error{fmt.Sprintf("executor %q: want tcp://HOST:PORT, e.g. tcp://127.0.0.1:7070", s)}
		}
		return nil
	case strings.HasPrefix(s, "nats://") || strings.HasPrefix(s, "tls://"):
		if err := fleet.CheckURL(s); err != nil {
			return &Error{fmt.Sprintf("executor %q: want nats://HOST:PORT[,nats://HOST:PORT…], e.g. nats://127.0.0.1:4222", s)}
		}
		return nil
	}
	return &Error{fmt.Sprintf("%q is not an executor; %s", s, Usage)}
}

// Open returns the executor s names, and what to close when done with it:
//   - "" or "local": the sandbox on this machine (local.New with opts.Local);
//   - "tcp://HOST:PORT": a remote.Client connected and authenticated to `sandrun executor`
//     there, with the token read from opts.TokenFile and, when opts.TLSCA is set, over TLS;
//   - "nats://HOST:PORT[,…]": a fleet.Client of the fleet those NATS servers carry, with
//     opts.NATS's auth (or TokenFile and TLSCA as the NATS token and CA).
//
// A spec or options that do not fit are an *Error. opts.TokenFile and opts.TLSCA with a local
// executor are an error (unless IgnoreRemoteOptions), so that a forgotten --executor does not
// silently run on this machine.
func Open(ctx context.Context, s string, opts Options) (executor.Executor, io.Closer, error) {
	if err := Check(s); err != nil {
		return nil, nil, err
	}
	if s == "" || s == "local" {
		if (opts.TokenFile != "" || opts.TLSCA != "") && !opts.IgnoreRemoteOptions {
			return nil, nil, &Error{"--token-file and --tls-ca apply only to --executor tcp://HOST:PORT or nats://HOST:PORT"}
		}
		if opts.Local.Log == nil && opts.Notes != nil {
			opts.Local.Log = slog.New(slog.NewTextHandler(opts.Notes, nil))
		}
		l, err := local.New(opts.Local)
		if err != nil {
			return nil, nil, err
		}
		if opts.Notes != nil {
			noteUnenforced(opts.Notes)
		}
		return l, l, nil
	}
	if !strings.HasPrefix(s, "tcp://") {
		conn := opts.NATS
		conn.URL = s
		if conn.TokenFile == "" && conn.CredsFile == "" {
			conn.TokenFile = opts.TokenFile
		}
		if conn.TLSCA == "" {
			conn.TLSCA = opts.TLSCA
		}
		if conn.Name == "" {
			conn.Name = "sandrun"
		}
		conn.InsecurePlaintext = conn.InsecurePlaintext || opts.InsecurePlaintext
		c, err := fleet.Dial(ctx, fleet.ClientOptions{Conn: conn})
		if err != nil {
			return nil, nil, err
		}
		return c, c, nil
	}
	c, err := remote.Dial(ctx, s, remote.Options{TokenFile: opts.TokenFile, TLSCA: opts.TLSCA, InsecurePlaintext: opts.InsecurePlaintext})
	if err != nil {
		return nil, nil, err
	}
	return c, c, nil
}

// IsLocal reports whether s names the executor on this machine.
func IsLocal(s string) bool { return s == "" || s == "local" }

var unenforcedOnce sync.Once

// noteUnenforced writes, once per process, which limits this host cannot enforce the usual way
// (rootless, no usable cgroup) and what holds instead. It says nothing where every limit is
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
