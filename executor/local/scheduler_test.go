package local

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

func TestSchedulerFailsFastWhenQueueFull(t *testing.T) {
	s := newScheduler(1, 1)
	ctx := context.Background()
	if err := s.acquire(ctx); err != nil {
		t.Fatalf("first acquire: %v", err)
	}
	waiting := make(chan error, 1)
	go func() { waiting <- s.acquire(ctx) }()
	for { // wait until the second caller is queued
		if _, q := s.load(); q == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.acquire(ctx); !errors.Is(err, executor.ErrBusy) {
		t.Fatalf("third acquire = %v, want ErrBusy", err)
	}
	s.release()
	if err := <-waiting; err != nil {
		t.Fatalf("queued acquire: %v", err)
	}
	if r, q := s.load(); r != 1 || q != 0 {
		t.Fatalf("load = %d running %d queued, want 1 0", r, q)
	}
	s.release()
}

func TestSchedulerQueuedCallerHonoursContext(t *testing.T) {
	s := newScheduler(1, 4)
	if err := s.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire = %v, want deadline exceeded", err)
	}
	if _, q := s.load(); q != 0 {
		t.Fatalf("queued = %d after the caller left, want 0", q)
	}
}
