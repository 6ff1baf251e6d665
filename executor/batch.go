package executor

import (
	"sync"
	"time"
)

// BatchWindow and BatchMax are how front ends and transports batch a run's output (see
// EventBatcher): what arrives within BatchWindow of the first unsent byte, or up to BatchMax
// bytes, goes on as one event.
const (
	BatchWindow = 15 * time.Millisecond
	BatchMax    = 16 << 10
)

// EventBatcher joins a run's output events before they are sent on, so that a program writing a
// byte at a time (Python's stderr, a traceback) costs a few messages, not one per byte. Events
// of one stage and stream that follow each other are joined; a change of stream or stage, a
// Restart event, BatchMax bytes or BatchWindow after the first held byte send what is held, so
// the order of stdout and stderr is kept and a prompt with no newline still arrives promptly.
// emit is called with one event at a time, from Add's goroutine or the timer's.
type EventBatcher struct {
	emit   func(Event)
	window time.Duration

	mu      sync.Mutex
	pending Event
	timer   *time.Timer
	closed  bool
}

// NewEventBatcher returns a batcher that sends on to emit after window (BatchWindow when 0).
func NewEventBatcher(window time.Duration, emit func(Event)) *EventBatcher {
	if window <= 0 {
		window = BatchWindow
	}
	return &EventBatcher{emit: emit, window: window}
}

// Add holds ev (its Data is copied) or sends it on; it is the Run callback.
func (b *EventBatcher) Add(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if len(b.pending.Data) > 0 && (ev.Restart > 0 || ev.Stage != b.pending.Stage || ev.Stream != b.pending.Stream) {
		b.flushLocked()
	}
	if ev.Restart > 0 || len(ev.Data) == 0 {
		if ev.Restart > 0 {
			b.emit(ev)
		}
		return
	}
	b.pending.Stage, b.pending.Stream = ev.Stage, ev.Stream
	b.pending.Data = append(b.pending.Data, ev.Data...)
	switch {
	case len(b.pending.Data) >= BatchMax:
		b.flushLocked()
	case b.timer == nil:
		b.timer = time.AfterFunc(b.window, b.flush)
	}
}

func (b *EventBatcher) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *EventBatcher) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.pending.Data) == 0 {
		return
	}
	ev := b.pending
	b.pending = Event{}
	b.emit(ev)
}

// Close sends what is held; nothing is sent after it returns. Call it when Run has returned,
// before the result is sent.
func (b *EventBatcher) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
}
