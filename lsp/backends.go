package lsp

import (
	"context"
	"fmt"
	"sync"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/internal/future"
)

// backends opens the configured executor lazily and keeps one that the settings replaced open
// until the runs using it end. b.mu guards the fields only: opening (a dial, up to seconds) runs
// outside it, so configure, which the read loop calls, never waits for it.
type backends struct {
	open OpenFunc
	logf func(format string, args ...any)

	mu     sync.Mutex
	cfg    ExecutorConfig
	cur    *backend // nil until first use after a change, or after opening failed; may be opening
	closed bool
}

// backend is one executor, opened once by the first run that needs it; the runs that come
// meanwhile wait for the same opening.
type backend struct {
	cfg ExecutorConfig
	// opened is the opening; ex and closeFn are set once it is done without error.
	opened  *future.Future[struct{}]
	ex      executor.Executor
	closeFn func() error
	refs    int  // runs using it (and waiting for it); guarded by backends.mu
	retired bool // replaced by a newer configuration; guarded by backends.mu

	langsMu sync.Mutex
	langs   []executor.LanguageInfo // cached after the first success
}

func newBackends(open OpenFunc, logf func(string, ...any)) *backends {
	return &backends{open: open, logf: logf}
}

// configure makes cfg the executor for later runs. Runs in flight keep theirs.
func (b *backends) configure(cfg ExecutorConfig) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cfg == b.cfg {
		return
	}
	b.cfg = cfg
	if old := b.retireLocked(); old != nil {
		go b.closeBackend(old)
	}
}

// retireLocked takes the current executor out of use and returns it if nothing uses it.
func (b *backends) retireLocked() *backend {
	old := b.cur
	if old == nil {
		return nil
	}
	b.cur = nil
	old.retired = true
	if old.refs > 0 {
		return nil
	}
	return old
}

// acquire returns the current executor, opening it if needed. Call release when done.
func (b *backends) acquire(ctx context.Context) (*backend, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errSessionEnded
	}
	be := b.cur
	if be == nil {
		be = &backend{cfg: b.cfg}
		be.opened = future.Start(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, b.openBackend(ctx, be) })
		b.cur = be
	}
	be.refs++
	b.mu.Unlock()
	if _, err := be.opened.Wait(ctx); err != nil {
		b.release(be)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w (sandrun.executor is %q; check it and sandrun.tokenFile)", err, be.cfg.Spec)
	}
	return be, nil
}

// openBackend opens be's executor. A failed opening is forgotten, so that the next run tries
// again.
func (b *backends) openBackend(ctx context.Context, be *backend) error {
	ex, closeFn, err := b.open(ctx, be.cfg)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		if b.cur == be {
			b.cur = nil
		}
		return err
	}
	be.ex, be.closeFn = ex, closeFn
	return nil
}

func (b *backends) release(be *backend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	be.refs--
	if be.retired && be.refs == 0 {
		go b.closeBackend(be)
	}
}

// close releases every executor; later acquires fail.
func (b *backends) close() {
	b.mu.Lock()
	b.closed = true
	old := b.retireLocked()
	b.mu.Unlock()
	if old != nil {
		b.closeBackend(old)
	}
}

// closeBackend closes be's executor once its opening is done (a failed one has nothing to close).
func (b *backends) closeBackend(be *backend) {
	if _, err := be.opened.Result(); err != nil || be.closeFn == nil {
		return
	}
	if err := be.closeFn(); err != nil {
		b.logf("close executor %q: %v", be.cfg.Spec, err)
	}
}

// languages returns the executor's languages, cached after the first success.
func (be *backend) languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	be.langsMu.Lock()
	defer be.langsMu.Unlock()
	if be.langs != nil {
		return be.langs, nil
	}
	langs, err := be.ex.Languages(ctx)
	if err != nil {
		return nil, err
	}
	be.langs = langs
	return langs, nil
}

// version is the installed version of language id as the executor reports it, or "".
func (be *backend) version(ctx context.Context, id string) string {
	langs, _ := be.languages(ctx) // the version is a nicety: a run does not fail without it
	for _, l := range langs {
		if l.ID == id {
			return l.Version
		}
	}
	return ""
}
