package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// OpenFunc opens the executor a configuration names. The returned close func releases it; the
// server calls it once no run uses that executor any more. It is called lazily, on the first
// run or languages request after the configuration changed, and again after it failed.
type OpenFunc func(ctx context.Context, cfg ExecutorConfig) (ex executor.Executor, close func() error, err error)

// ExecutorConfig names an executor: Spec is "local" or "tcp://host:port"; TokenFile holds the
// shared token of a remote executor and TLSCA the CA certificate it is verified with over TLS.
type ExecutorConfig struct {
	Spec      string
	TokenFile string
	TLSCA     string
}

// Options configure a Server.
type Options struct {
	Open OpenFunc // required
	// CheckSpec says whether a sandrun.executor setting names an executor (nil or an error
	// whose text the client sees); nil accepts "local" and tcp://… and leaves the rest to Open.
	CheckSpec func(spec string) error
	Languages *languages.Set // nil means languages.Load()
	// Defaults are the settings before the client sends any (its settings override each field
	// it sets). A zero Executor means "local".
	Defaults Settings
	// Log receives the server's log lines (never stdout: that is the protocol). nil discards.
	Log io.Writer
	// Trace logs every message's method and id to Log.
	Trace bool
	// Debounce is how long a watched file must stay quiet after an outside change before it
	// runs; 0 means watch.DefaultDelay.
	Debounce time.Duration
}

// Server serves one LSP session. Create it with New, then call Serve once.
type Server struct {
	opts  Options
	langs *languages.Set
	log   *log.Logger

	conn jsonrpc2.Conn
	bg   context.Context // lives until the session ends; writes use it so they are never cancelled
	stop context.CancelFunc

	calls    *calls
	docs     *documents
	runs     *runs
	backends *backends
	settings *settingsStore
	watches  *watches
	// published tracks the documents showing a run's diagnostics.
	published published

	state atomic.Int32 // lifecycle: stateNew, stateReady, stateShutdown

	clientMu            sync.Mutex
	workDoneClient      bool // the client supports window.workDoneProgress
	configurationClient bool // the client answers workspace/configuration
	initOptions         bool // the client sent initializationOptions
	exited              chan struct{}
	exitOnce            sync.Once
}

const (
	stateNew int32 = iota
	stateReady
	stateShutdown
)

// ErrExitWithoutShutdown is returned by Serve when the client sent "exit" before "shutdown"
// (LSP asks for exit code 1 then).
var ErrExitWithoutShutdown = errors.New("lsp: the client sent exit without shutdown")

// New returns a Server.
func New(opts Options) (*Server, error) {
	if opts.Open == nil {
		return nil, errors.New("lsp: Options.Open is required")
	}
	langs := opts.Languages
	if langs == nil {
		var err error
		if langs, err = languages.Load(); err != nil {
			return nil, fmt.Errorf("lsp: %w", err)
		}
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	if opts.Defaults.Executor == "" {
		opts.Defaults.Executor = "local"
	}
	s := &Server{
		opts:     opts,
		langs:    langs,
		log:      log.New(logw, "sandrun lsp: ", log.LstdFlags|log.Lmsgprefix),
		calls:    newCalls(),
		docs:     newDocuments(),
		runs:     newRuns(),
		settings: newSettingsStore(opts.Defaults),
		exited:   make(chan struct{}),
	}
	s.backends = newBackends(opts.Open, s.logf)
	s.backends.configure(s.settings.get().executorConfig())
	return s, nil
}

func (s *Server) logf(format string, args ...any) { s.log.Printf(format, args...) }

// Serve speaks LSP on rwc until the client sends exit, closes its end, or ctx ends. It returns
// nil after shutdown+exit or the end of input, ErrExitWithoutShutdown after an exit with no
// shutdown, and the connection's error otherwise. Runs still going are cancelled before it returns.
func (s *Server) Serve(ctx context.Context, rwc io.ReadWriteCloser) error {
	s.bg, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	defer s.stop()
	w, err := newWatches(s)
	if err != nil {
		return err
	}
	s.watches = w
	s.conn = jsonrpc2.NewConn(newStream(rwc, s.logf))
	s.conn.Go(s.bg, s.handle)

	var result error
	select {
	case <-s.conn.Done():
		if err := s.conn.Err(); err != nil && !isEOF(err) {
			result = fmt.Errorf("lsp: connection: %w", err)
		}
	case <-s.exited:
		if s.state.Load() != stateShutdown {
			result = ErrExitWithoutShutdown
		}
	case <-ctx.Done():
		result = ctx.Err()
	}
	s.teardown()
	s.conn.Close()
	select {
	case <-s.conn.Done():
	case <-time.After(2 * time.Second):
		// A reader whose Close does not interrupt a blocked Read (a blocking stdin) would keep
		// the session from ending; the process is about to end anyway.
		s.logf("the input could not be interrupted; ending without waiting for it")
	}
	return result
}

// teardown cancels every run and request, stops watching and releases the executors.
func (s *Server) teardown() {
	s.runs.stopAll(errSessionEnded)
	s.calls.cancelAll()
	s.watches.close()
	s.runs.wait()
	s.backends.close()
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, io.ErrUnexpectedEOF)
}

// notify sends a notification. A failed write means the client is gone; the read loop ends then.
func (s *Server) notify(method string, params any) {
	if err := s.conn.Notify(s.bg, method, params); err != nil {
		s.logf("%s: %v", method, err)
	}
}

// call sends a request to the client and waits (at most timeout) for its answer.
func (s *Server) call(method string, params, result any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(s.bg, timeout)
	defer cancel()
	_, err := s.conn.Call(ctx, method, params, result)
	return err
}
