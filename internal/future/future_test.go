package future

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestWaitersShareOneCall(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	fu := Start(context.Background(), func(context.Context) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	})
	var wg sync.WaitGroup
	got := make([]int, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = fu.Wait(context.Background())
		}()
	}
	close(release)
	wg.Wait()
	for i, v := range got {
		if v != 42 {
			t.Errorf("waiter %d got %d, want 42", i, v)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("f ran %d times, want 1", n)
	}
}

func TestWaiterGivesUpAlone(t *testing.T) {
	release := make(chan struct{})
	parent, cancel := context.WithCancel(context.Background())
	fu := Start(parent, func(ctx context.Context) (string, error) {
		<-release
		return "done", ctx.Err() // the starter's cancellation does not reach f
	})
	cancel()
	if _, err := fu.Wait(parent); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with an ended ctx = %v, want context.Canceled", err)
	}
	close(release)
	if v, err := fu.Wait(context.Background()); v != "done" || err != nil {
		t.Fatalf("another waiter got %q, %v; want done, nil", v, err)
	}
}
