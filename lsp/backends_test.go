package lsp

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// TestBackendsOpenOutsideTheLock: while an executor is being opened (a slow dial), configure
// (called from the read loop) does not wait for it, runs arriving meanwhile share the opening,
// and the replaced executor is closed once its runs end.
func TestBackendsOpenOutsideTheLock(t *testing.T) {
	var opens, closes atomic.Int32
	started := make(chan struct{}, 4)
	proceed := make(chan struct{})
	open := func(ctx context.Context, cfg ExecutorConfig) (executor.Executor, func() error, error) {
		opens.Add(1)
		started <- struct{}{}
		<-proceed
		return executortest.NewFake(), func() error { closes.Add(1); return nil }, nil
	}
	b := newBackends(open, t.Logf)
	b.configure(ExecutorConfig{Spec: "tcp://a:1"})

	got := make(chan *backend, 2)
	for range 2 {
		go func() {
			be, err := b.acquire(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- be
		}()
	}
	<-started
	for deadline := time.Now().Add(wait); ; time.Sleep(time.Millisecond) { // both wait
		b.mu.Lock()
		refs := b.cur.refs
		b.mu.Unlock()
		if refs == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs wait for the opening, want 2", refs)
		}
	}
	b.configure(ExecutorConfig{Spec: "tcp://b:1"}) // returns although the opening hangs
	close(proceed)
	be1, be2 := <-got, <-got
	if be1 == nil || be1 != be2 {
		t.Fatalf("the runs got %p and %p; want one shared executor", be1, be2)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("%d openings, want 1 shared", n)
	}
	b.release(be1)
	b.release(be2)
	be3, err := b.acquire(context.Background()) // the new configuration opens anew
	if err != nil {
		t.Fatal(err)
	}
	if be3.cfg.Spec != "tcp://b:1" {
		t.Errorf("after configure, executor %q; want tcp://b:1", be3.cfg.Spec)
	}
	b.release(be3)
	b.close()
	for deadline := time.Now().Add(wait); closes.Load() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // the replaced one closes in the background
			t.Fatalf("%d executors closed, want 2", closes.Load())
		}
	}
}
