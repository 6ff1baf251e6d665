package local

import (
	"context"
	"sync"

	"github.com/sandrun/sandrun/executor"
)

// scheduler bounds how many runs execute at once (slots) and how many may wait (queue). A run
// that would pass the queue fails at once with ErrBusy instead of hanging.
type scheduler struct {
	slots chan struct{} // one token per running run

	queueMu  sync.Mutex
	queued   int
	queueMax int
}

func newScheduler(slots, queueMax int) *scheduler {
	return &scheduler{slots: make(chan struct{}, slots), queueMax: queueMax}
}

// acquire waits for a slot. It returns ErrBusy when the queue is full, ctx.Err() when ctx ends
// first. The caller must call release once it has a slot.
func (s *scheduler) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	s.queueMu.Lock()
	if s.queued >= s.queueMax {
		s.queueMu.Unlock()
		return executor.ErrBusy
	}
	s.queued++
	s.queueMu.Unlock()
	defer func() {
		s.queueMu.Lock()
		s.queued--
		s.queueMu.Unlock()
	}()
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *scheduler) release() { <-s.slots }

// load returns running and queued counts.
func (s *scheduler) load() (running, queued int) {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	return len(s.slots), s.queued
}
