package remote

import (
	"sync"

	"github.com/sandrun/sandrun/executor"
)

// events delivers one run's output events to its onEvent from one goroutine, in order, so the
// connection's read loop never waits on a caller's callback. The queue is bounded by the run's
// output limit, which the executor enforces.
type events struct {
	onEvent func(executor.Event)
	wake    chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	queue  []executor.Event
	closed bool
}

func newEvents(onEvent func(executor.Event)) *events {
	e := &events{onEvent: onEvent, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if onEvent == nil {
		close(e.done)
		return e
	}
	go e.deliver()
	return e
}

// push queues ev; events pushed after finish are dropped.
func (e *events) push(ev executor.Event) {
	if e.onEvent == nil {
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.queue = append(e.queue, ev)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// finish delivers what is queued, stops, and returns when the last onEvent call has returned.
func (e *events) finish() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	<-e.done
}

func (e *events) deliver() {
	defer close(e.done)
	for {
		e.mu.Lock()
		batch, closed := e.queue, e.closed
		e.queue = nil
		e.mu.Unlock()
		for _, ev := range batch {
			e.onEvent(ev)
		}
		if closed && len(batch) == 0 {
			return
		}
		if len(batch) == 0 {
			<-e.wake
		}
	}
}
