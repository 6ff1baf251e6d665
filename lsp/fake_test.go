package lsp

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// newFake is the shared scriptable fake (executortest.Fake, see its script commands) with the
// one language "python" and fixed costs.
func newFake() *executortest.Fake {
	f := executortest.NewFake()
	f.Langs = []executor.LanguageInfo{{ID: "python", Name: "Python", Version: "3.11.2", Aliases: []string{"py"},
		Extensions: []string{".py"}, VSCodeID: "python", Available: true}}
	f.CPUTimeMs, f.WallTimeMs, f.MemoryKiB = 5, 7, 2048
	return f
}

// fakeOpener opens f for "local" and records every configuration it was asked to open.
type fakeOpener struct {
	f *executortest.Fake

	mu     sync.Mutex
	opened []ExecutorConfig
	closed []ExecutorConfig
}

func (o *fakeOpener) open(ctx context.Context, cfg ExecutorConfig) (executor.Executor, func() error, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opened = append(o.opened, cfg)
	if strings.HasPrefix(cfg.Spec, "tcp://unreachable") {
		return nil, nil, errors.New("dial tcp: connection refused")
	}
	return o.f, func() error {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.closed = append(o.closed, cfg)
		return nil
	}, nil
}

func (o *fakeOpener) configs() (opened, closed []ExecutorConfig) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]ExecutorConfig(nil), o.opened...), append([]ExecutorConfig(nil), o.closed...)
}
