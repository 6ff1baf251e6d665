package executor

import (
	"strings"
	"testing"
	"time"
)

// TestEventBatcher: 2000 single-byte events become a few, every byte kept, and a change of
// stream or a Restart sends what was held first. The window is long, so only the size limit,
// the changes and Close send, whatever the machine's load.
func TestEventBatcher(t *testing.T) {
	var got []Event
	b := NewEventBatcher(time.Hour, func(ev Event) { got = append(got, ev) })
	for range 2000 {
		b.Add(Event{Stage: StageRun, Stream: Stderr, Data: []byte("x")})
	}
	b.Add(Event{Stage: StageRun, Stream: Stdout, Data: []byte("out")})
	b.Add(Event{Restart: 2})
	b.Add(Event{Stage: StageRun, Stream: Stdout, Data: []byte("again")})
	b.Close()
	b.Add(Event{Stage: StageRun, Stream: Stdout, Data: []byte("late")})

	if len(got) != 4 {
		t.Fatalf("%d events, want 4: %+v", len(got), got)
	}
	if got[0].Stream != Stderr || string(got[0].Data) != strings.Repeat("x", 2000) {
		t.Errorf("first event %s %d bytes, want stderr with all 2000", got[0].Stream, len(got[0].Data))
	}
	if got[1].Stream != Stdout || string(got[1].Data) != "out" || got[2].Restart != 2 || string(got[3].Data) != "again" {
		t.Errorf("events %+v: want stdout \"out\", the restart, then \"again\"", got[1:])
	}
}

// TestEventBatcherMax: no event carries much more than BatchMax bytes.
func TestEventBatcherMax(t *testing.T) {
	var sizes []int
	b := NewEventBatcher(time.Hour, func(ev Event) { sizes = append(sizes, len(ev.Data)) })
	for range 3 * BatchMax / 1000 {
		b.Add(Event{Stage: StageRun, Stream: Stdout, Data: make([]byte, 1000)})
	}
	b.Close()
	for _, n := range sizes {
		if n >= BatchMax+1000 {
			t.Errorf("an event of %d bytes; sizes %v", n, sizes)
		}
	}
	if len(sizes) < 3 {
		t.Errorf("sizes %v: want at least 3 events", sizes)
	}
}

// TestEventBatcherTimer: a held prompt is sent by the timer, with no further event and no Close.
func TestEventBatcherTimer(t *testing.T) {
	sent := make(chan Event, 1)
	b := NewEventBatcher(time.Millisecond, func(ev Event) { sent <- ev })
	defer b.Close()
	b.Add(Event{Stage: StageRun, Stream: Stdout, Data: []byte("name? ")})
	select {
	case ev := <-sent:
		if string(ev.Data) != "name? " {
			t.Errorf("sent %q", ev.Data)
		}
	case <-time.After(time.Minute):
		t.Fatal("the held prompt was never sent")
	}
}
