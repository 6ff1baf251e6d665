package executor

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// MaxStdinBacklog bounds the input a StdinFeed holds that the program has not read yet.
const MaxStdinBacklog = 1 << 20

// Errors of StdinFeed.Feed. Front ends put them in their own words for their own wire.
var (
	// ErrStdinEnded: the program's stdin was already ended (eof) by an earlier Feed.
	ErrStdinEnded = errors.New("stdin was already ended (eof)")
	// ErrStdinClosed: the run is over; nobody reads its stdin any more.
	ErrStdinClosed = errors.New("the run has ended; its stdin is closed")
	// ErrStdinBacklog: the program has not read MaxStdinBacklog bytes sent before; the input
	// offered was dropped.
	ErrStdinBacklog = fmt.Errorf("the program has not read the input sent so far (%s waiting); this input was dropped", FormatBytes(MaxStdinBacklog))
)

// StdinFeed carries interactive input (an editor terminal, a WebSocket, a TCP client) to a
// running program as Request.StdinStream, without ever blocking the sender: Feed queues the
// input (at most MaxStdinBacklog bytes unread) and its own goroutine writes it as the program
// reads. Close it when the run ends.
type StdinFeed struct {
	pr *io.PipeReader
	pw *io.PipeWriter

	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	// mu guards the queue and the state below it.
	mu      sync.Mutex
	queue   [][]byte
	backlog int
	eof     bool
	closed  bool
}

// NewStdinFeed returns a feed; its Reader goes in Request.StdinStream.
func NewStdinFeed() *StdinFeed {
	pr, pw := io.Pipe()
	f := &StdinFeed{pr: pr, pw: pw, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go f.pump()
	return f
}

// Reader is what the program reads after the request's own Stdin. It ends (io.EOF) once a Feed
// with eof was written, and fails once the feed is closed.
func (f *StdinFeed) Reader() io.Reader { return f.pr }

// Feed queues data (it may be empty); eof ends the program's stdin once the queue is written.
// It never blocks. It fails with ErrStdinEnded after an eof, ErrStdinClosed after Close, and
// ErrStdinBacklog when the unread input would pass MaxStdinBacklog (then nothing is queued).
func (f *StdinFeed) Feed(data []byte, eof bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.closed:
		return ErrStdinClosed
	case f.eof:
		return ErrStdinEnded
	case f.backlog+len(data) > MaxStdinBacklog:
		return ErrStdinBacklog
	}
	if len(data) > 0 {
		f.queue = append(f.queue, append([]byte(nil), data...))
		f.backlog += len(data)
	}
	f.eof = eof
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

// Backlog returns how many bytes were fed that the program has not taken yet.
func (f *StdinFeed) Backlog() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.backlog
}

func (f *StdinFeed) pump() {
	for {
		select {
		case <-f.wake:
		case <-f.done:
			return
		}
		for {
			f.mu.Lock()
			if len(f.queue) == 0 {
				eof := f.eof
				f.mu.Unlock()
				if eof {
					f.pw.Close()
					return
				}
				break
			}
			chunk := f.queue[0]
			f.queue = f.queue[1:]
			f.mu.Unlock()
			_, err := f.pw.Write(chunk) // returns once the program's side has read it all
			f.mu.Lock()
			if !f.closed {
				f.backlog -= len(chunk)
			}
			f.mu.Unlock()
			if err != nil {
				return // the run ended and nobody reads any more
			}
		}
	}
}

// Close ends the feed when the run is over: a pending write fails, the pump stops and later
// Feeds fail with ErrStdinClosed. It may be called more than once.
func (f *StdinFeed) Close() {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		f.closed = true
		f.queue = nil
		f.backlog = 0
		f.mu.Unlock()
		close(f.done)
		f.pr.CloseWithError(io.ErrClosedPipe)
		f.pw.CloseWithError(io.ErrClosedPipe)
	})
}
