// Package future is a result computed once, by one goroutine, that any number of callers wait
// for: the slow work (a dial, a subprocess) runs outside every lock, and a lock only guards the
// pointer to the Future (gopls internal/cache/future.go).
//
// It is not a cache: whoever holds the pointer decides when to drop a result (after a failure,
// so that the next caller tries again).
package future

import "context"

// Future is the result of one call of a function.
type Future[T any] struct {
	done chan struct{}
	v    T
	err  error
}

// Start runs f in a new goroutine with a context that keeps ctx's values but not its
// cancellation: one waiter giving up does not fail the others. f bounds its own time.
func Start[T any](ctx context.Context, f func(context.Context) (T, error)) *Future[T] {
	fu := &Future[T]{done: make(chan struct{})}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer close(fu.done)
		fu.v, fu.err = f(ctx)
	}()
	return fu
}

// Wait returns f's result once it is there, or ctx's error if ctx ends first.
func (fu *Future[T]) Wait(ctx context.Context) (T, error) {
	select {
	case <-fu.done:
		return fu.v, fu.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Done is closed when the result is there.
func (fu *Future[T]) Done() <-chan struct{} { return fu.done }

// Result returns f's result; call it only after Done is closed.
func (fu *Future[T]) Result() (T, error) {
	<-fu.done
	return fu.v, fu.err
}
